"""CPU time of each GIL-holding step the collector runs per OTLP request: a load-independent figure.

A thread that holds the GIL in one long C call (a protobuf parse, a scan of the body) stalls every
other thread for that long, the event loop answering /healthz included, however idle the machine is;
on a busy machine the stall stretches with the load. This times (thread CPU time, median of --runs
fresh copies of each body) the calls `decode_protobuf` makes, one by one, and the write-ahead log's
record header, for three bodies: the open-loop benchmark's 100-span request, the hostile suite's
3.6 MB request (60 spans of 60 KB strings), and a 3.6 MB request whose one attribute is random bytes
(the long-string scan's worst case). The collector code is whatever PYTHONPATH names first.

`--convoy` measures what those holds cost the event loop when several requests decode at once: a
loop-like thread does four GIL-releasing calls (as answering /healthz does: select, recv, send, ...)
every 10 ms beside 1, 2 or 6 threads decoding the 3.6 MB body in turn, and prints the latency of
those four calls. Each extra decode thread is one more contender the loop queues behind at every
call, so the latency grows with the number of threads (wall time: compare within one run).

    python bench/gil_hold.py
    python bench/gil_hold.py --convoy
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: bench and tests found in this tree too
    sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: its collector is measured

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

from bench.workload import trace_request
from collector.otlp.decode import DEFAULT_LIMITS, check_traces, decode_protobuf
from collector.otlp.limits import may_hold_long_string, truncate_strings
from collector.otlp.model import Signal
from collector.otlp.probe import FLAT_PROBES
from collector.wal import records
from tests.collector.hostile.clients import spans_body

# the record's header alone where the body is written after it by writev (no copy), else the record
record = getattr(records, "header", records.encode)


def binary_body() -> bytes:
    """One span with a 3.6 MB attribute of random bytes: tens of thousands of tag-like byte pairs."""
    req = tpb.ExportTraceServiceRequest.FromString(spans_body("binary"))
    span = req.resource_spans[0].scope_spans[0].spans[0]
    span.attributes.add(key="blob").value.bytes_value = random.Random(5).randbytes(3_600_000)
    return req.SerializeToString()


def cpu_ms(step: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.thread_time()
        step()
        times.append(time.thread_time() - started)
    return statistics.median(times) * 1000


def steps(body: bytes) -> dict[str, Callable[[], object]]:
    """The decode's calls on `body`, each on its own (the parse first, as decode_protobuf does)."""
    limit = DEFAULT_LIMITS.shortest_string_limit
    probe = FLAT_PROBES[Signal.TRACES]()
    probe.ParseFromString(body)
    payload = decode_protobuf(Signal.TRACES, body).payload
    return {
        "ParseFromString": lambda: FLAT_PROBES[Signal.TRACES]().ParseFromString(bytes(bytearray(body))),
        "ByteSize": probe.ByteSize,
        "check (ids, times, counts)": lambda: check_traces(probe, DEFAULT_LIMITS),
        "long-string scan": lambda: may_hold_long_string(body, limit),
        "truncate walk": lambda: truncate_strings(Signal.TRACES, probe, DEFAULT_LIMITS),
        "log record (on the loop)": lambda: record(payload, 1) if payload else None,
        "decode_protobuf (all)": lambda: decode_protobuf(Signal.TRACES, body),
    }


def loop_latency(body: bytes, threads: int, seconds: float) -> list[float]:
    """Latencies of four GIL-releasing calls every 10 ms while `threads` threads decode `body`."""
    stop = threading.Event()

    def decode() -> None:
        while not stop.is_set():
            decode_protobuf(Signal.TRACES, bytes(bytearray(body)))

    workers = [threading.Thread(target=decode) for _ in range(threads)]
    for worker in workers:
        worker.start()
    latencies = []
    fd = os.open(os.devnull, os.O_WRONLY)
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            for _ in range(4):
                os.write(fd, b"x")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)
    finally:
        stop.set()
        os.close(fd)
        for worker in workers:
            worker.join()
    return latencies


def convoy(rounds: int, seconds: float) -> None:
    body = spans_body("large", count=60, pad=60_000)
    print(f"load average {os.getloadavg()[0]:.1f}; a loop's four GIL-releasing calls beside N decode threads")
    for round_ in range(rounds):
        for threads in (1, 2, 6):
            ms = sorted(x * 1000 for x in loop_latency(body, threads, seconds))
            p99 = statistics.quantiles(ms, n=100)[98]
            print(
                f"round {round_ + 1}, {threads} decode thread(s): p50 {statistics.median(ms):6.2f} ms  "
                f"p99 {p99:6.1f} ms  max {ms[-1]:6.1f} ms  ({len(ms)} samples)"
            )
    print(f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--convoy", action="store_true", help="the loop's latency beside 1, 2, 6 decode threads")
    parser.add_argument("--rounds", type=int, default=2, help="--convoy rounds (default 2)")
    parser.add_argument("--seconds", type=float, default=5, help="--convoy seconds per measurement (default 5)")
    args = parser.parse_args()
    if args.convoy:
        convoy(args.rounds, args.seconds)
        return
    bodies = {
        "100 spans": trace_request(100, random.Random(7)).SerializeToString(),
        "3.6 MB, 60 KB strings": spans_body("large", count=60, pad=60_000),
        "3.6 MB, random bytes": binary_body(),
    }
    print(f"load average {os.getloadavg()[0]:.1f}; CPU ms per call, median of {args.runs}")
    table = {name: {step: cpu_ms(fn, args.runs) for step, fn in steps(body).items()} for name, body in bodies.items()}
    print(f"{'':28}" + "".join(f"{name:>24}" for name in bodies))
    for step in next(iter(table.values())):
        print(f"{step:28}" + "".join(f"{table[name][step]:24.3f}" for name in bodies))


if __name__ == "__main__":
    main()
