"""End-to-end ingest benchmark: OTLP/HTTP and OTLP/gRPC into a real `otelhouse serve` process.

For each signal and protocol, several load-generator processes send prebuilt requests with several
in flight for --seconds, honouring 429/503 back-pressure; a request counts only when acknowledged,
and acknowledged = stored is checked by counting rows afterwards. In the same run it measures:
- the reference: the same collector with native_decode off (a plain Python column-building pipeline);
- the ceiling of the Python path: inserting the prebuilt columns straight into ClickHouse;
- the ceiling of the fast path: the bare native-decode insert (raw protobuf, no HTTP).
The collector's peak RSS (VmHWM) is reported per run. Results go to stdout and bench/results/.

    python bench/ingest.py                       # full run, 60 s per measurement
    python bench/ingest.py --seconds 10 --signals traces
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import Tally, generate  # noqa: E402
from bench.workload import bodies  # noqa: E402

TABLES = {
    "traces": ["otel_traces"],
    "logs": ["otel_logs"],
    "metrics": [f"otel_metrics_{k}" for k in ("gauge", "sum", "histogram", "exponential_histogram", "summary")],
}


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """CPU time (user + system) a process, or one of its threads, has used so far: the event loop is
    the thread whose id is the process's. Less sensitive to a busy machine than latencies are."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_times(pid: int) -> dict[int, tuple[str, int, int, int]]:
    """Each thread of a process: its name, CPU and run-queue wait (ns, /proc/.../schedstat), nice."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            run_ns, wait_ns, _ = map(int, (task / "schedstat").read_text().split())
            nice = int((task / "stat").read_text().rsplit(")", 1)[1].split()[16])
        except (OSError, ValueError):  # the thread ended meanwhile
            continue
        out[int(task.name)] = ("event loop" if int(task.name) == pid else comm, run_ns, wait_ns, nice)
    return out


class Collector:
    """An `otelhouse serve` subprocess on a data folder and database of the benchmark's."""

    def __init__(
        self, data: Path, database: str, native: bool, wal: bool = True, batch_items: int = 0, **extra: str
    ) -> None:
        self.http, self.grpc, self.dash = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")}
        env.update(
            OTELHOUSE_CLICKHOUSE_URL=f"chdb://{data}",
            OTELHOUSE_CLICKHOUSE_DATABASE=database,
            OTELHOUSE_COLLECTOR_HOST="127.0.0.1",
            OTELHOUSE_COLLECTOR_HTTP_PORT=str(self.http),
            OTELHOUSE_COLLECTOR_GRPC_PORT=str(self.grpc),
            OTELHOUSE_DASHBOARD_HOST="127.0.0.1",
            OTELHOUSE_DASHBOARD_PORT=str(self.dash),
            OTELHOUSE_COLLECTOR_NATIVE_DECODE="true" if native else "false",
            OTELHOUSE_COLLECTOR_WAL_ENABLED="true" if wal else "false",
            **({"OTELHOUSE_COLLECTOR_BATCH_ITEMS": str(batch_items)} if batch_items else {}),
            OTELHOUSE_COLLECTOR_RETRY_AFTER_S="1",
            OTELHOUSE_RETENTION_ENABLED="false",
            OTELHOUSE_DEMO_ENABLED="false",
            OTELHOUSE_LOG_LEVEL="warning",
            OTELHOUSE_LOG_FORMAT="text",
        )
        env.update(extra)  # a caller's setting wins over the defaults above (e.g. retention on)
        self.proc = subprocess.Popen([sys.executable, "-m", "otelhouse", "serve"], env=env, cwd=data.parent)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the collector did not become ready")
            time.sleep(0.2)

    def target(self, protocol: str) -> str:
        return f"http://127.0.0.1:{self.http}" if protocol == "http" else f"127.0.0.1:{self.grpc}"

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def reset_peak_rss(self) -> None:
        """Start a new peak: Linux resets VmHWM to the current RSS on '5' written to clear_refs."""
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")

    def backlog_bytes(self) -> float:
        """Bytes acknowledged but not yet stored (the write-ahead log's backlog), from /metrics."""
        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/metrics", timeout=10) as r:
            text = r.read().decode()
        return sum(
            s.value
            for family in text_string_to_metric_families(text)
            if family.name == "otelhouse_collector_wal_backlog_bytes"
            for s in family.samples
        )

    def wait_drained(self, timeout: float = 900) -> float:
        """Wait until everything acknowledged is stored; return how long that took."""
        started = time.monotonic()
        while self.backlog_bytes() > 0:
            if time.monotonic() - started > timeout:
                raise RuntimeError("the collector did not drain its backlog in time")
            time.sleep(0.1)
        return time.monotonic() - started

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(600)


def load(collector: Collector, protocol: str, signal_name: str, args: argparse.Namespace) -> dict:
    """Run the generator processes against one endpoint; return the rate and latency figures."""
    ctx = mp.get_context("spawn")
    fresh = getattr(args, "fresh", False)
    jobs = [
        (protocol, collector.target(protocol), signal_name, args.items, args.concurrency, args.seconds, 1000 + i, fresh)
        for i in range(args.procs)
    ]
    started = time.monotonic()
    with ctx.Pool(args.procs) as pool:
        tallies: list[Tally] = pool.starmap(generate, jobs)
    elapsed = time.monotonic() - started
    # acknowledged is not yet stored: the run ends when the last acknowledged item is in ClickHouse
    drain = collector.wait_drained()
    latencies = sorted(x for t in tallies for x in t.latencies)
    acked = sum(t.acked_items for t in tallies)
    return {
        "acked_items": acked,
        "rate": acked / (args.seconds + drain),
        "accept_rate": acked / args.seconds,
        "drain_s": round(drain, 1),
        "elapsed_s": round(elapsed, 1),
        "requests": sum(t.acked_requests for t in tallies),
        "refused": sum(t.refused for t in tallies),
        "failed": sum(t.failed for t in tallies),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
    }


def run_collector(
    data: Path, database: str, native: bool, protocols: list[str], args, wal: bool = True, after=None
) -> dict:
    """Measure each signal over each protocol on one collector; `after(collector)` then adds its own results."""
    label = ("native" if native else "python") + ("" if wal else "-nowal")
    collector = Collector(data, database, native, wal, args.batch_items)
    results: dict = {}
    try:
        for signal_name in args.signals:
            for protocol in protocols:
                say(f"  {label:6} {signal_name:7} {protocol:4} ... {args.seconds}s x {args.procs} senders")
                collector.reset_peak_rss()
                r = load(collector, protocol, signal_name, args)
                r["peak_rss_mib"] = round(collector.peak_rss_mib(), 1)
                results[f"{signal_name}/{protocol}"] = r
                say(
                    f"  {label:6} {signal_name:7} {protocol:4} {r['rate']:>10,.0f} items/s stored "
                    f"(accepted {r['accept_rate']:,.0f}/s, drained {r['drain_s']} s after; refused {r['refused']}, "
                    f"failed {r['failed']}, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                    f"peak RSS {r['peak_rss_mib']} MiB)"
                )
        results["peak_rss_mib"] = max((r["peak_rss_mib"] for r in results.values()), default=None)
        if after is not None:
            results["after"] = after(collector)
    finally:
        collector.stop()
    say(f"  {label} collector peak RSS {results.get('peak_rss_mib')} MiB")
    return results


def ceilings(client, database: str, signal_name: str, args) -> dict:
    """Insert rates with no HTTP: prebuilt Python columns, and the bare native-decode insert.

    The workload's values are all scalars, so the collector routes it FLAT; the same bodies through
    the nested staging types (Route.NATIVE, what requests with arrays or kvlists take) are measured too.
    """
    from collector.app import EMBEDDED_INSERT_THREADS
    from collector.otlp.model import Payload, Route, Signal
    from storage.rows import build_tables
    from storage.schema import SchemaOptions
    from storage.writer import write_payloads

    sig = Signal(signal_name)
    batch = bodies(signal_name, args.items, max(1, 50_000 // args.items), seed=7)
    items = sum(n for _, n in batch)
    rounds = 6
    tables = build_tables(sig, [b for b, _ in batch])
    started = time.perf_counter()
    for _ in range(rounds):
        for table, cols in tables.items():
            if cols and next(iter(cols.values())):
                client.insert(f"{database}.{table}", list(cols.values()), column_names=list(cols), column_oriented=True)
    python_rate = items * rounds / (time.perf_counter() - started)
    opts = SchemaOptions(database=database)
    rates = {"python_insert": python_rate}
    for route in (Route.FLAT, Route.NATIVE):
        payloads = [Payload(sig, route, b, n) for b, n in batch]
        started = time.perf_counter()
        for _ in range(rounds):
            write_payloads(client, opts, payloads, max_threads=EMBEDDED_INSERT_THREADS)
        rates[f"{route}_insert"] = items * rounds / (time.perf_counter() - started)
    return rates


def count_rows(client, database: str, signal_name: str) -> int:
    return sum(client.query(f"SELECT count() FROM {database}.{t}").result_rows[0][0] for t in TABLES[signal_name])


def add_load_arguments(parser: argparse.ArgumentParser, seconds: float) -> None:
    """Add the closed-loop load options shared by bench/ingest.py and bench/run.py."""
    parser.add_argument("--seconds", type=float, default=seconds, help=f"each measurement's length (default {seconds})")
    parser.add_argument("--procs", type=int, default=3, help="load-generator processes (default 3)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight per process (default 8)")
    parser.add_argument("--items", type=int, default=1000, help="items per request (default 1000)")
    parser.add_argument("--signals", nargs="+", default=["traces", "logs", "metrics"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_load_arguments(parser, 60)
    parser.add_argument("--no-reference", action="store_true", help="skip the Python-pipeline reference run")
    parser.add_argument("--batch-items", type=int, default=0, help="collector.batch_items (default: its default)")
    parser.add_argument("--no-wal-off", action="store_true", help="skip the run with the write-ahead log off")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="otelhouse-bench-"))
    data = work / "clickhouse"
    say(f"ingest benchmark: {os.cpu_count()} cores, data in {work}")
    results: dict = {"args": vars(args), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    say("fast path (native decode), OTLP/HTTP and OTLP/gRPC:")
    results["native"] = run_collector(data, "bench_native", True, ["http", "grpc"], args)
    if not args.no_wal_off:
        say("fast path with the write-ahead log off (acknowledged once stored), OTLP/HTTP:")
        results["nowal"] = run_collector(data, "bench_nowal", True, ["http"], args, wal=False)
    if not args.no_reference:
        # acknowledged once stored, so the slow reference cannot build a backlog it then drains for minutes
        say("reference (Python column-building pipeline, write-ahead log off), OTLP/HTTP:")
        results["python"] = run_collector(data, "bench_python", False, ["http"], args, wal=False)

    import clickhouse_connect

    client = clickhouse_connect.get_client(interface="chdb", path=str(data))
    say("acknowledged = stored:")
    for signal_name in args.signals:
        acked = sum(v["acked_items"] for k, v in results["native"].items() if k.startswith(signal_name + "/"))
        stored = count_rows(client, "bench_native", signal_name)
        results["native"][f"{signal_name}/stored"] = stored
        say(f"  {signal_name:7} acknowledged {acked:,}  stored {stored:,}")
    say("ceilings without HTTP (same rows, same engine):")
    results["ceilings"] = {}
    client.command("CREATE DATABASE IF NOT EXISTS bench_ceiling")
    from storage.migrate import apply_migrations
    from storage.schema import SchemaOptions

    apply_migrations(client, SchemaOptions(database="bench_ceiling"))
    for signal_name in args.signals:
        c = ceilings(client, "bench_ceiling", signal_name, args)
        results["ceilings"][signal_name] = c
        say(
            f"  {signal_name:7} python insert {c['python_insert']:>10,.0f}/s"
            f"   flat native insert {c['flat_insert']:>10,.0f}/s"
            f"   nested native insert {c['native_insert']:>10,.0f}/s"
        )

    say("\nsummary (items/s end to end; ratios in the same run):")
    for signal_name in args.signals:
        http = results["native"][f"{signal_name}/http"]["rate"]
        grpc = results["native"][f"{signal_name}/grpc"]["rate"]
        line = f"  {signal_name:7} http {http:>10,.0f}  grpc {grpc:>10,.0f} (grpc/http {grpc / http:.2f})"
        if "python" in results:
            ref = results["python"][f"{signal_name}/http"]["rate"]
            line += f"  reference {ref:>9,.0f} (x{http / ref:.2f})"
        if "nowal" in results:
            nowal = results["nowal"][f"{signal_name}/http"]["rate"]
            line += f"  wal-off {nowal:>9,.0f} (wal cost {1 - http / nowal:+.0%})"
        c = results["ceilings"][signal_name]
        line += f"  http/native-ceiling {http / c['flat_insert']:.2f}"
        say(line)
    for signal_name in args.signals:
        sample = bodies(signal_name, args.items, 4, seed=3)
        per_item = sum(len(b) + 26 for b, _ in sample) / sum(n for _, n in sample)
        results.setdefault("wal_bytes_per_item", {})[signal_name] = per_item
        say(f"  write-ahead log bytes per acknowledged {signal_name[:-1]} item: {per_item:.0f}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest-latest.json").write_text(json.dumps(results, indent=2))
    say(f"results written to {out / 'ingest-latest.json'}")


if __name__ == "__main__":
    main()
