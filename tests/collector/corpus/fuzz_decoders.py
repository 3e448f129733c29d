"""atheris harness over every decoder: run as a script, `-runs=N` bounds it (see test_fuzz.py).

Any exception other than the decoders' documented ones (InvalidRequest, TooLarge) is a crash that
atheris reports with the input that caused it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

with atheris.instrument_imports():
    from collector.errors import TooLarge
    from collector.otlp.decode import decode_protobuf
    from collector.otlp.json_codec import parse_json
    from collector.otlp.limits import Limits
    from collector.otlp.model import InvalidRequest, Signal
    from collector.transport import decompress

SIGNALS = list(Signal)
LIMITS = Limits(max_value_length=64, max_depth=4, max_attributes=8)
ENCODINGS = ("gzip", "deflate", "zstd")


def one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    signal, mode, body = SIGNALS[data[0] % 3], data[1] % 4, data[2:]
    try:
        if mode == 0:
            decode_protobuf(signal, body, LIMITS)
        elif mode == 1:
            decode_protobuf(signal, parse_json(signal, body).SerializeToString(), LIMITS)
        else:
            out = decompress(body, ENCODINGS[data[1] % 3], 1 << 20)
            assert len(out) <= 1 << 20
    except (InvalidRequest, TooLarge):
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
