"""CPU time per line of the JSON-lines and Loki conversions (the Python path, no HTTP, no storage).

The conversion is what a JSON line or a Loki entry costs the collector beyond an OTLP record (whose
decode ClickHouse does), so its microseconds per line, measured with `time.process_time` (the
best body of --repeats rounds), say more than an end-to-end rate on a shared machine. `--code` measures another checkout
(e.g. the main branch) with the same bodies, for a before/after in one sitting:

    python bench/logs_mapping.py                          # this checkout
    python bench/logs_mapping.py --code /work/main        # another one, same bodies
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", default=str(ROOT), help="checkout whose collector/ is measured (default: this one)")
    parser.add_argument("--lines", type=int, default=1000, help="lines per body (default 1000)")
    parser.add_argument("--bodies", type=int, default=8, help="bodies of each format (default 8)")
    parser.add_argument("--repeats", type=int, default=20, help="rounds over the bodies (default 20)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.logs_ingest import json_lines_body, loki_body

    rng = random.Random(7)
    json_bodies = [json_lines_body(args.lines, rng) for _ in range(args.bodies)]
    loki_bodies = [loki_body(args.lines, rng) for _ in range(args.bodies)]
    sys.path.insert(0, args.code)  # the measured checkout's modules win from here on
    for name in [m for m in sys.modules if m.split(".")[0] in ("collector", "storage", "otelhouse")]:
        del sys.modules[name]
    from collector.jsonlines.convert import Context, LineLimits, convert
    from collector.logs_http import decode_and_convert

    limits = LineLimits()
    ctx = Context("json-bench", (), time.time_ns())

    runs = {
        "JSON lines": [partial(convert, body, ctx, limits) for body in json_bodies],
        "Loki protobuf": [partial(decode_and_convert, b, False, 1 << 30, limits, ctx.arrival_ns) for b in loki_bodies],
    }
    for name, calls in runs.items():
        for call in calls:
            call()  # warm the caches a long-running collector has warm
        # the best single body: on a shared machine the shortest runs are the least disturbed
        best = min(_cpu(call) for _ in range(args.repeats) for call in calls)
        print(f"{name:14} {best / args.lines * 1e6:6.2f} us per line (best of {args.repeats * len(calls)} bodies)")
    print(f"code: {args.code}")


def _cpu(call: Callable[[], object]) -> float:
    started = time.process_time()
    call()
    return time.process_time() - started


if __name__ == "__main__":
    main()
