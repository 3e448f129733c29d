"""/healthz latency while many large uploads are admitted: the hostile suite's hardest latency scenario.

Starts the hostile suite's collector (tests/collector/hostile/server.py: small limits, write-ahead log
on), an idle aiohttp server as the machine's reference, and a /healthz probe (every 10 ms, one
keep-alive connection, a process of its own) on each; then uploads `--uploads` valid 3.6 MB trace
requests (60 spans of 60 KB) from 30 threads, over HTTP at 1 MiB/s each or over gRPC (a message goes
at once), as the suite's `test_many_concurrent_large_*` tests do. A round lasts at least `--seconds` (3, as the suite's
scenarios: a gRPC burst of 60 alone is over in well under a second, too few probes for a p99); with
`--sustain` the 30 threads go on offering uploads, each as soon as the last was answered, until
then, so the p99 rests on hundreds of probes taken while uploads arrive. Prints the probe's
p50/p99/max beside the reference's, and the status counts. The collector code is whatever PYTHONPATH
names first (run it from a folder outside the tree, e.g.
`cd /tmp && PYTHONPATH=/path/to/tree python /path/to/tree/bench/healthz_uploads.py`).

    python bench/healthz_uploads.py                   # HTTP, 60 uploads
    python bench/healthz_uploads.py --protocol grpc --rounds 3
    python bench/healthz_uploads.py --protocol grpc --sustain --seconds 10   # offered for 10 s a round
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import cpu_seconds, thread_times  # noqa: E402
from tests.collector.hostile import clients  # noqa: E402
from tests.collector.hostile.conftest import wait_healthz  # noqa: E402
from tests.collector.hostile.server import KEY, GoodSender, HealthProbe, start_reference, start_server  # noqa: E402
from tests.collector.hostile.test_grpc_hostile import export  # noqa: E402
from tests.collector.hostile.test_http_hostile import KEYED, _slow_upload  # noqa: E402
from tests.conftest import free_port  # noqa: E402

THREADS = 30


def summary(latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p99 = statistics.quantiles(ms, n=100)[98]
    return f"p50 {statistics.median(ms):6.1f} ms  p99 {p99:6.1f} ms  max {ms[-1]:6.1f} ms  ({len(ms)} probes)"


def thread_report(before: dict[int, tuple[str, int, int, int]], after: dict[int, tuple[str, int, int, int]]) -> str:
    """CPU and run-queue wait per thread name over a round (threads of one name summed), busiest first."""
    groups: dict[tuple[str, int], list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for tid, (comm, run_ns, wait_ns, nice) in after.items():
        _, run0, wait0, _ = before.get(tid, (comm, 0, 0, nice))
        if run_ns - run0 or wait_ns - wait0:
            g = groups[comm, nice]
            g[0], g[1], g[2] = g[0] + run_ns - run0, g[1] + wait_ns - wait0, g[2] + 1
    rows = sorted(groups.items(), key=lambda kv: -kv[1][0])
    return "\n".join(
        f"           {comm:<16} nice {nice:>2} x{n:<3} CPU {run / 1e9:5.2f} s  run-queue wait {wait / 1e9:5.2f} s"
        for (comm, nice), (run, wait, n) in rows
    )


def offer(upload: Callable[[], object], uploads: int, until: float) -> list[object]:
    """Run `uploads` uploads from THREADS threads, each thread going on with more until `until`."""

    def thread(share: int) -> list[object]:
        outcomes = [upload() for _ in range(share)]
        while time.monotonic() < until:
            outcomes.append(upload())
        return outcomes

    shares = [uploads // THREADS + (i < uploads % THREADS) for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        return [outcome for part in pool.map(thread, shares) for outcome in part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocol", default="http", choices=["http", "grpc"])
    parser.add_argument("--uploads", type=int, default=60, help="uploads per round (default 60)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, each measured on its own (default 2)")
    parser.add_argument("--seconds", type=float, default=3, help="least length of a round (default 3)")
    parser.add_argument("--sustain", action="store_true", help="offer uploads until the round has lasted --seconds")
    parser.add_argument("--threads", action="store_true", help="print each collector thread's CPU and run-queue wait")
    args = parser.parse_args()
    body = clients.spans_body("large", count=60, pad=60_000)
    work = Path(tempfile.mkdtemp(prefix="otelhouse-healthz-"))
    server = start_server(work)
    server.reference_port = free_port()
    reference = start_reference(server.reference_port)
    try:
        wait_healthz(server.reference_port)
        for protocol in ("http", "grpc"):  # as the suite's fixture: every part started and warm
            sender = GoodSender(server, f"warmup-{protocol}", protocol)
            for i in range(5):
                sender._deliver(f"warmup-{protocol}-{i}", time.monotonic() + 30)
        print(f"load average {os.getloadavg()[0]:.2f}; {args.protocol}, {args.uploads} uploads of {len(body):,} bytes")
        pid = server.proc.pid
        for round_ in range(args.rounds):
            loop_cpu, cpu, threads = cpu_seconds(pid, pid), cpu_seconds(pid), thread_times(pid)
            with (
                HealthProbe(server.http_port) as probe,
                HealthProbe(server.reference_port) as idle,
            ):
                upload = (
                    (lambda: _slow_upload(server, body, KEYED))
                    if args.protocol == "http"
                    else (lambda: export(server, body, KEY))
                )
                started = time.monotonic()
                outcomes = offer(upload, args.uploads, started + args.seconds if args.sustain else 0)
                lasted = time.monotonic() - started
                time.sleep(max(0.0, started + args.seconds - time.monotonic()))
            loop_cpu, cpu = cpu_seconds(pid, pid) - loop_cpu, cpu_seconds(pid) - cpu
            counts = dict(collections.Counter(map(str, outcomes)))
            print(f"round {round_ + 1}: collector {summary(probe.latencies)}")
            print(f"         reference {summary(idle.latencies)}   outcomes {counts}")
            print(f"         {lasted:.1f} s; collector CPU {cpu:.2f} s, of which its event loop {loop_cpu:.2f} s")
            if args.threads:
                print(thread_report(threads, thread_times(pid)))
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        server.stop()
        reference.terminate()
        reference.wait(30)
        shutil.rmtree(work, ignore_errors=True)  # the collector's data, log and write-ahead log


if __name__ == "__main__":
    main()
