"""`make bench`: measure otelhouse on this machine and write bench/results.md and bench/results.json.

Every rate counts items stored (acknowledged, then counted in ClickHouse), beside its ceiling measured
in the same run. Parts:
  ingest     closed-loop throughput per signal and protocol, several sender processes (bench/ingest.py)
  reference  the same through the Python column-building pipeline
  ceilings   the bare insert of the same data into the same engine, no HTTP
  payloads   fresh trace/span ids per request against a few bodies replayed
  openloop   fixed offered rate, latency from the scheduled send time; the highest rate with p99 < 100 ms
  routes     JSON lines, Loki push and remote_write, when this build has them; JSON lines and
             remote_write (through ClickHouse's decode of the WriteRequest) measured
  pages      dashboard page times
  archive    log rows archived to Parquet per second

    python bench/run.py                     # the full run (make bench), under 20 minutes here
    python bench/run.py --seconds 8 --open-seconds 8 --parts ingest openloop   # a short run
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import Collector, add_load_arguments, ceilings, count_rows, load, run_collector, say  # noqa: E402
from bench.openloop import open_loop  # noqa: E402
from bench.report import write_report  # noqa: E402
from storage.queries.archives import Location, export_rows  # noqa: E402

PARTS = ("ingest", "reference", "ceilings", "payloads", "openloop", "routes", "pages", "archive")
OPEN_RATE = 500  # requests/s of 100 spans: the reference load
SWEEP = (50, 100, 250, 500, 750, 1000, 1250, 1500, 2000, 2500)
ROUTE_PROBES = {"JSON lines": "/v1/logs/json", "Loki push": "/loki/api/v1/push", "remote_write": "/api/v1/write"}
PAGES = ("/start", "/services", "/traces", "/logs", "/metrics", "/kpi")


def run_open_loop(data: Path, args) -> dict:
    collector = Collector(data, "bench_openloop", native=True)
    out: dict = {"sweep": []}
    try:
        say(f"open loop: {OPEN_RATE} requests/s of {args.open_items} spans, {args.open_seconds}s")
        out["at_500"] = r = open_loop(collector, OPEN_RATE, args.open_seconds, args.open_senders, args.open_items)
        say(f"  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  p99.9 {r['p999_ms']} ms  peak RSS {r['peak_rss_mib']} MiB")
        for rate in SWEEP:
            r = open_loop(collector, rate, args.sweep_seconds, args.open_senders, args.open_items)
            out["sweep"].append(r)
            say(f"  offered {rate:5} req/s: p99 {r['p99_ms']:8.1f} ms, refused {r['refused']}, failed {r['failed']}")
            if r["p99_ms"] >= 100 or r["refused"] or r["failed"]:
                break
        good = [r["offered_rps"] for r in out["sweep"] if r["p99_ms"] < 100 and not r["refused"] and not r["failed"]]
        out["max_rps_p99_under_100ms"] = max(good, default=0)
        out["acked_items"] = out["at_500"]["acked_items"] + sum(r["acked_items"] for r in out["sweep"])
    finally:
        collector.stop()
    return out


def run_payloads(data: Path, args) -> dict:
    """Closed-loop traces over HTTP: replayed bodies, then fresh ids per request, same collector."""
    collector = Collector(data, "bench_payloads", native=True)
    out = {}
    try:
        for fresh in (False, True):
            args.fresh = fresh
            r = load(collector, "http", "traces", args)
            out["fresh" if fresh else "replayed"] = r
            say(f"  traces http {'fresh ids' if fresh else 'replayed '}: {r['rate']:,.0f} spans/s stored")
    finally:
        args.fresh = False
        collector.stop()
    return out


def probe_routes(collector: Collector) -> dict:
    """Say which optional ingest routes this build serves (an empty POST answers 404 when absent)."""
    found = {}
    for name, path in ROUTE_PROBES.items():
        request = urllib.request.Request(f"{collector.target('http')}{path}", data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                found[name] = response.status
        except urllib.error.HTTPError as exc:
            found[name] = exc.code
    return {name: ("absent" if code == 404 else f"present (empty POST: {code})") for name, code in found.items()}


def json_lines(collector: Collector, args) -> dict:
    """Closed-loop NDJSON (logrus-shaped lines) to POST /v1/logs/json; stored is checked after the run."""
    r = load(collector, "http", "jsonlines", args)
    say(f"  JSON lines http {r['rate']:>10,.0f} lines/s stored (acknowledged {r['acked_items']:,})")
    return r


def remote_write_rate(collector: Collector, args) -> dict:
    """Closed-loop remote_write (bench/remote_write.py's generator: node-exporter-like series, 500 series x
    10 samples per snappy request, 2 processes x 4 in flight), end to end: acknowledged until drained."""
    from bench import remote_write

    started = time.monotonic()
    shape = argparse.Namespace(procs=2, concurrency=4, seconds=args.seconds)
    r = remote_write.load(f"{collector.target('http')}/api/v1/write", shape)
    r["drain_s"] = round(collector.wait_drained(), 1)
    r["rate"] = r["acked"] / (time.monotonic() - started)
    say(f"  remote_write {r['rate']:>10,.0f} samples/s stored (acknowledged {r['acked']:,}, drained {r['drain_s']} s)")
    return r


def page_times(collector: Collector, rounds: int = 10) -> dict:
    """Time each dashboard page that answers 200 (median and worst of `rounds` loads)."""
    out = {}
    for path in PAGES:
        url = f"http://127.0.0.1:{collector.dash}{path}"
        times, status = [], None
        for _ in range(rounds):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
                break
            times.append(time.perf_counter() - started)
        if status == 200:
            times.sort()
            out[path] = {"median_ms": round(times[len(times) // 2] * 1000, 1), "max_ms": round(times[-1] * 1000, 1)}
        else:
            out[path] = {"status": status}
    return out


def archive_rate(client, database: str, work: Path) -> dict:
    """Archive the stored log rows to Parquet with the rolls' export settings (export_rows); return rows/s."""
    rows = client.query(f"SELECT count() FROM {database}.otel_logs").result_rows[0][0]
    target = work / "archive.parquet"
    started = time.perf_counter()
    export_rows(client, database, "otel_logs", "Timestamp", None, None, Location(str(target)))
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": rows / seconds, "bytes": target.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_load_arguments(parser, 30)
    parser.add_argument("--open-seconds", type=float, default=30, help="open loop at 500 requests/s (default 30)")
    parser.add_argument("--sweep-seconds", type=float, default=10, help="each step of the rate sweep (default 10)")
    parser.add_argument("--open-senders", type=int, default=2, help="open-loop sender processes (default 2)")
    parser.add_argument("--open-items", type=int, default=100, help="spans per open-loop request (default 100)")
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    parser.add_argument("--out", default=str(ROOT / "bench"), help="folder for results.md and results.json")
    args = parser.parse_args()
    args.batch_items = 0

    work = Path(tempfile.mkdtemp(prefix="otelhouse-bench-"))
    data = work / "clickhouse"
    started = time.monotonic()
    load_avg = os.getloadavg()
    say(f"otelhouse benchmark: {os.cpu_count()} cores, load average {load_avg[0]:.1f}, data in {work}")
    results: dict = {
        "args": vars(args),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cores": os.cpu_count(),
        "load_average_at_start": load_avg,
    }
    if "ingest" in args.parts or "routes" in args.parts or "pages" in args.parts:
        say("closed-loop ingest (fast path), OTLP/HTTP and OTLP/gRPC:")

        def after(collector: Collector) -> dict:
            out = {"routes": probe_routes(collector)} if "routes" in args.parts else {}
            if out.get("routes", {}).get("JSON lines", "absent") != "absent":
                out["jsonlines"] = json_lines(collector, args)
            if out.get("routes", {}).get("remote_write", "absent") != "absent":
                out["remote_write"] = remote_write_rate(collector, args)
            if "pages" in args.parts:
                out["pages"] = page_times(collector)
            return out

        protocols = ["http", "grpc"] if "ingest" in args.parts else []
        results["native"] = run_collector(data, "bench_native", True, protocols, args, after=after)
        results.update(results["native"].pop("after"))
    if "reference" in args.parts:
        say("reference (Python column-building pipeline, write-ahead log off), OTLP/HTTP:")
        results["python"] = run_collector(data, "bench_python", False, ["http"], args, wal=False)
    if "payloads" in args.parts:
        say("replayed bodies against fresh ids per request:")
        results["payloads"] = run_payloads(data, args)
    if "openloop" in args.parts:
        results["openloop"] = run_open_loop(data, args)

    import clickhouse_connect

    client = clickhouse_connect.get_client(interface="chdb", path=str(data))
    if "remote_write" in results:
        results["remote_write"]["stored"] = sum(
            client.query(
                f"SELECT count() FROM bench_native.otel_metrics_{kind} WHERE ScopeName = 'otelhouse/prometheus'"
            ).result_rows[0][0]
            for kind in ("gauge", "sum")
        )
    if "native" in results and "ingest" in args.parts:
        # the routes part wrote into the same tables: its rows are not the OTLP senders'
        others = {
            "logs": results.get("jsonlines", {}).get("acked_items", 0),
            "metrics": results.get("remote_write", {}).get("stored", 0),
        }
        # (JSON lines carry no mark of their own in otel_logs: the table must hold exactly both)
        for signal_name in args.signals:
            stored = count_rows(client, "bench_native", signal_name) - others.get(signal_name, 0)
            results["native"][f"{signal_name}/stored"] = stored
    if "openloop" in results:
        results["openloop"]["stored"] = count_rows(client, "bench_openloop", "traces")
    if "ceilings" in args.parts:
        say("ceilings without HTTP (same rows, same engine):")
        from storage.migrate import apply_migrations
        from storage.schema import SchemaOptions

        client.command("CREATE DATABASE IF NOT EXISTS bench_ceiling")
        apply_migrations(client, SchemaOptions(database="bench_ceiling"))
        results["ceilings"] = {s: ceilings(client, "bench_ceiling", s, args) for s in args.signals}
    if "archive" in args.parts and "logs" in args.signals and "ingest" in args.parts:
        results["archive"] = archive_rate(client, "bench_native", work)
        say(f"archive: {results['archive']['rows_per_s']:,.0f} log rows/s to zstd Parquet")
    results["wall_s"] = round(time.monotonic() - started, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "results.md").write_text(write_report(results))
    say(f"done in {results['wall_s']:.0f} s: {out / 'results.md'}, {out / 'results.json'}")


if __name__ == "__main__":
    main()
