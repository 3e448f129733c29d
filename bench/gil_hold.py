"""The longest time one call holds the GIL while an OTLP request is decoded and logged: load-independent.

A thread that holds the GIL in one long C call (a protobuf parse, a regex over the body) stalls every
other thread, the event loop answering /healthz included, for that long however idle the machine is.
This runs the collector's per-request steps (decode_body, the write-ahead log's record encoding) on
one thread while a ticker thread asks for the GIL every 50 µs, with the switch interval at 50 µs so
Python code between C calls hands the GIL over at once: the ticker's longest gap is the longest
single hold. Also prints the CPU time per request. Bodies: the hostile suite's 3.6 MB request (60
spans of 60 KB) and the open-loop benchmark's 100-span request. Reports medians over --runs, each on
a fresh copy of the body.

    python bench/gil_hold.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.workload import trace_request  # noqa: E402
from collector.otlp.model import Signal  # noqa: E402
from collector.receiver import decode_body  # noqa: E402
from collector.wal.records import encode  # noqa: E402
from tests.collector.hostile.clients import spans_body  # noqa: E402


class Ticker:
    """A thread taking the GIL every 50 µs; `longest` is its longest wait since `reset`."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self.stop.is_set():
            time.sleep(0.00005)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def reset(self) -> None:
        time.sleep(0.002)
        self.longest = 0.0


def request_steps(body: bytes) -> None:
    """What the collector does with a protobuf traces body off the network: decode, then the log record."""
    result = decode_body(Signal.TRACES, "protobuf", body)
    if result.payload is not None:
        encode(result.payload, time.time_ns())


def measure(name: str, body: bytes, runs: int, ticker: Ticker) -> None:
    holds, cpu = [], []
    for _ in range(runs):
        fresh = bytes(bytearray(body))
        ticker.reset()
        started = time.thread_time()
        request_steps(fresh)
        cpu.append(time.thread_time() - started)
        time.sleep(0.001)
        holds.append(ticker.longest)
    print(
        f"{name:34} longest GIL hold: median {statistics.median(holds) * 1000:6.2f} ms, "
        f"max {max(holds) * 1000:6.2f} ms; CPU per request {statistics.median(cpu) * 1000:6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    sys.setswitchinterval(0.00005)
    ticker = Ticker()
    ticker.thread.start()
    large = spans_body("large", count=60, pad=60_000)
    small = trace_request(100, random.Random(7)).SerializeToString()
    for body in (large, small):  # warm the caches and the classes
        request_steps(body)
    import os

    print(f"load average {os.getloadavg()[0]:.1f}")
    measure(f"3.6 MB request ({len(large):,} B)", large, args.runs, ticker)
    measure(f"100-span request ({len(small):,} B)", small, args.runs * 5, ticker)
    ticker.stop.set()


if __name__ == "__main__":
    main()
