"""Write the nasty-input corpus of the JSON-lines and Loki receivers (expected outcomes: expected.toml).

python -m tests.collector.corpus.logs.make_logs_corpus
"""

from __future__ import annotations

import json
from pathlib import Path

import cramjam

HERE = Path(__file__).resolve().parent
OK = '{"level":"info","msg":"the good line"}'


def push(labels: bytes, lines: list[bytes], ts: int = 1_700_000_000) -> bytes:
    from collector.loki.push import PushRequest

    request = PushRequest()
    stream = request.streams.add(labels=labels)
    for line in lines:
        entry = stream.entries.add(line=line)
        entry.timestamp.seconds = ts
    return request.SerializeToString()


def main() -> None:
    files = {
        "jsonlines-1mb-line.ndjson": (OK + "\n" + json.dumps({"msg": "x" * 1_048_576}) + "\n" + OK).encode(),
        "jsonlines-invalid-utf8.ndjson": OK.encode() + b'\n{"msg":"caf\xe9 \xff\xfe"}\n\xc3\x28 raw\n',
        "jsonlines-deep-nesting.ndjson": (OK + "\n" + '{"a":' * 5000 + "1" + "}" * 5000 + "\n" + OK).encode(),
        "jsonlines-deep-arrays.ndjson": (OK + "\n" + '{"msg":"m","a":' + "[" * 3000 + "]" * 3000 + "}").encode(),
        "jsonlines-duplicate-keys.ndjson": b'{"msg":"first","msg":"second","level":"info","level":"error"}\n',
        "jsonlines-past-2-64.ndjson": b'{"msg":"big","n":340282366920938463463374607431768211456,'
        b'"m":-99999999999999999999}\n',
        "jsonlines-nan.ndjson": b'{"msg":"nan","a":NaN,"b":Infinity,"c":-Infinity}\n{"msg":"fine"}\n',
        "jsonlines-binary.bin": bytes(range(256)) * 64,
        "loki-invalid-utf8.snappy": bytes(cramjam.snappy.compress_raw(push(b'{app="x"}', [b"ok", b"caf\xe9 \xff"]))),
        "loki-bad-labels-bytes.snappy": bytes(cramjam.snappy.compress_raw(push(b'{app="\xff', [b"x"]))),
        "loki-truncated.snappy": bytes(cramjam.snappy.compress_raw(push(b'{app="x"}', [b"line"] * 10)))[:-7],
        "loki-json-nan.json": b'{"streams":[{"stream":{"app":"x"},"values":[["1", NaN]]}]}',
        "loki-json-deep.json": b'{"streams":' + b"[" * 5000 + b"]" * 5000 + b"}",
    }
    for name, body in files.items():
        (HERE / name).write_bytes(body)


if __name__ == "__main__":
    main()
