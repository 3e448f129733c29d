"""`make profile`: a py-spy flame graph of the collector under load, written to bench/profile-collector.svg.

Starts `otelhouse serve` (fast path, write-ahead log on), drives it with the closed-loop senders for
--seconds, and records every thread of the collector process with py-spy meanwhile (docs/performance.md
explains how to read the graph).

    python bench/profile.py                         # traces over OTLP/HTTP, 30 s
    python bench/profile.py --signal logs --seconds 20 --out /tmp/logs.svg
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import Collector, load, say  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="length of the load and the recording")
    parser.add_argument("--signal", default="traces", choices=["traces", "logs", "metrics"])
    parser.add_argument("--protocol", default="http", choices=["http", "grpc"])
    parser.add_argument("--rate", type=int, default=50, help="py-spy samples per second (default 50)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "profile-collector.svg"))
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        sys.exit("py-spy is not installed: pip install py-spy (make profile installs it)")
    load_args = argparse.Namespace(items=1000, concurrency=8, procs=2, seconds=args.seconds, fresh=True)
    work = Path(tempfile.mkdtemp(prefix="otelhouse-profile-"))
    collector = Collector(work / "clickhouse", "bench_profile", native=True)
    try:
        record = [py_spy, "record", "--pid", str(collector.proc.pid), "--duration", str(int(args.seconds))]
        record += ["--rate", str(args.rate), "--threads", "--format", "flamegraph", "--output", args.out]
        spy = threading.Thread(target=subprocess.run, args=(record,), kwargs={"check": True})
        spy.start()
        result = load(collector, args.protocol, args.signal, load_args)
        spy.join()
    finally:
        collector.stop()
    say(f"{args.signal} over {args.protocol}: {result['rate']:,.0f} items/s stored while recording")
    say(f"flame graph: {args.out} (open it in a browser; docs/performance.md says how to read it)")


if __name__ == "__main__":
    main()
