"""End-to-end benchmark of the log receivers: OTLP/HTTP log records (the reference), JSON lines, Loki protobuf.

One `otelhouse serve` process (embedded engine, write-ahead log on); for each format, sender processes
post prebuilt requests of --items lines with several in flight for --seconds, honouring 429/503. A
line counts once acknowledged, and the rate is acknowledged / (seconds + time to drain), so it
counts stored lines; afterwards acknowledged = stored is checked by counting rows per format.

    python bench/logs_ingest.py                          # 30 s per format
    python bench/logs_ingest.py --seconds 10 --rounds 3  # formats take turns: ratios for a drifting machine
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import cramjam  # noqa: E402

from bench.ingest import Collector, cpu_seconds, say  # noqa: E402
from bench.loadgen import Tally  # noqa: E402
from bench.workload import SERVICES, bodies  # noqa: E402

LEVELS = ("info", "info", "debug", "warning", "error")
FORMATS = {
    "otlp": ("/v1/logs", "application/x-protobuf"),
    "jsonlines": ("/v1/logs/json", "application/x-ndjson"),
    "loki": ("/loki/api/v1/push", "application/x-protobuf"),
}


def json_lines_body(lines: int, rng: random.Random) -> bytes:
    """logrus-style lines with the OTLP workload's content: 5 fields, a third with trace context."""
    now = time.time()
    out = []
    for i in range(lines):
        line = {
            "level": rng.choice(LEVELS),
            "msg": f"order {rng.randrange(10**6)} processed in {rng.randrange(500)} ms for tenant t{i % 13}",
            "time": datetime.fromtimestamp(now - rng.random(), UTC).isoformat(timespec="microseconds"),
            "tenant": f"t{i % 13}",
            "order.id": rng.randrange(10**6),
            "component": "worker",
            "retry": i % 4,
            "region": "eu-west-1",
        }
        if i % 3 == 0:
            line["trace_id"], line["span_id"] = rng.randbytes(16).hex(), rng.randbytes(8).hex()
        out.append(json.dumps(line, separators=(",", ":")))
    return "\n".join(out).encode()


def loki_body(lines: int, rng: random.Random) -> bytes:
    """A promtail-like push: one stream per service and level, plain text lines, snappy protobuf."""
    from collector.loki.push import PushRequest

    request = PushRequest()
    now = time.time_ns()
    streams = {}
    for i in range(lines):
        service, level = SERVICES[i % len(SERVICES)], rng.choice(LEVELS)
        stream = streams.get((service, level))
        if stream is None:
            labels = f'{{service_name="loki-{service}", level="{level}", namespace="prod", job="{service}/worker"}}'
            stream = streams[(service, level)] = request.streams.add(labels=labels.encode())
        text = f"order {rng.randrange(10**6)} processed in {rng.randrange(500)} ms for tenant t{i % 13} region=eu"
        entry = stream.entries.add(line=text.encode())
        entry.timestamp.seconds, entry.timestamp.nanos = divmod(now - rng.randrange(10**9), 10**9)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def payloads(fmt: str, items: int, seed: int) -> list[tuple[bytes, int, dict]]:
    rng = random.Random(seed)
    if fmt == "otlp":
        return [(b, n, {}) for b, n in bodies("logs", items, 8, seed=seed)]
    if fmt == "jsonlines":
        return [(json_lines_body(items, rng), items, {"X-Service-Name": f"json-{SERVICES[i % 5]}"}) for i in range(8)]
    return [(loki_body(items, rng), items, {}) for _ in range(8)]


async def _worker(session, url, content_type, prepared, deadline, tally, offset) -> None:
    i = offset
    while time.monotonic() < deadline:
        body, items, headers = prepared[i % len(prepared)]
        i += 1
        started = time.perf_counter()
        async with session.post(url, data=body, headers={"Content-Type": content_type, **headers}) as response:
            await response.read()
            if response.status in (200, 204):
                tally.acked_items += items
                tally.acked_requests += 1
                tally.latencies.append(time.perf_counter() - started)
            elif response.status in (429, 503):
                tally.refused += 1
                await asyncio.sleep(min(float(response.headers.get("Retry-After", "1")), 0.5))
            else:
                tally.failed += 1


async def _run(base: str, fmt: str, prepared, concurrency: int, seconds: float) -> Tally:
    tally = Tally()
    path, content_type = FORMATS[fmt]
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(
            *(_worker(session, base + path, content_type, prepared, deadline, tally, k) for k in range(concurrency))
        )
    return tally


def generate(base: str, fmt: str, items: int, concurrency: int, seconds: float, seed: int) -> Tally:
    """Entry point of a sender process."""
    return asyncio.run(_run(base, fmt, payloads(fmt, items, seed), concurrency, seconds))


def count_rows(data: Path, database: str) -> dict[str, int]:
    """Stored rows per format, told apart by service names (OTLP: the workload's, json-*, loki-*)."""
    import clickhouse_connect

    client = clickhouse_connect.get_client(interface="chdb", path=str(data))
    row = client.query(
        "SELECT countIf(startsWith(ServiceName, 'json-')), countIf(startsWith(ServiceName, 'loki-')), count() "
        f"FROM {database}.otel_logs"
    ).result_rows[0]
    return {"jsonlines": row[0], "loki": row[1], "otlp": row[2] - row[0] - row[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="duration of each measurement (default 30)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every format in turn (default 1)")
    parser.add_argument("--procs", type=int, default=3, help="sender processes (default 3)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight per process (default 8)")
    parser.add_argument("--items", type=int, default=1000, help="lines per request (default 1000)")
    parser.add_argument("--formats", nargs="+", default=list(FORMATS))
    parser.add_argument(
        "--mapping-processes", type=int, default=None, help="collector.log_mapping_processes (default: the default)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="otelhouse-logbench-"))
    data = work / "clickhouse"
    results: dict = {"args": vars(args), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    results["load_average_start"] = os.getloadavg()
    ctx = mp.get_context("spawn")
    # one collector for every format, so the ratios compare like with like on a machine whose speed drifts
    database = "bench_logs"
    extra = {}
    if args.mapping_processes is not None:
        extra["OTELHOUSE_COLLECTOR_LOG_MAPPING_PROCESSES"] = str(args.mapping_processes)
    collector = Collector(data, database, native=True, **extra)
    base = f"http://127.0.0.1:{collector.http}"
    totals = {
        fmt: {"acked": 0, "time": 0.0, "refused": 0, "failed": 0, "latencies": [], "rss": 0.0, "cpu": 0.0, "loop": 0.0}
        for fmt in args.formats
    }
    pid = collector.proc.pid
    try:
        # formats take turns in every round, so a machine whose speed drifts weighs on each alike
        for _ in range(args.rounds):
            for fmt in args.formats:
                collector.reset_peak_rss()
                jobs = [(base, fmt, args.items, args.concurrency, args.seconds, 100 + i) for i in range(args.procs)]
                with ctx.Pool(args.procs) as pool:
                    cpu, loop = cpu_seconds(pid), cpu_seconds(pid, pid)
                    tallies: list[Tally] = pool.starmap(generate, jobs)
                drain = collector.wait_drained()
                t = totals[fmt]
                t["cpu"] += cpu_seconds(pid) - cpu  # the collector's CPU (every thread, the engine's too)
                t["loop"] += cpu_seconds(pid, pid) - loop
                t["acked"] += sum(x.acked_items for x in tallies)
                t["time"] += args.seconds + drain
                t["refused"] += sum(x.refused for x in tallies)
                t["failed"] += sum(x.failed for x in tallies)
                t["latencies"] += [x for tally in tallies for x in tally.latencies]
                t["rss"] = max(t["rss"], collector.peak_rss_mib())
        for fmt, t in totals.items():
            latencies = sorted(t["latencies"])
            results[fmt] = r = {
                "acked": t["acked"],
                "rate": t["acked"] / t["time"],
                "drain_s": round(t["time"] - args.rounds * args.seconds, 1),
                "refused": t["refused"],
                "failed": t["failed"],
                "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
                "peak_rss_mib": round(t["rss"], 1),
                # CPU per stored line: holds on a shared machine, where the rates do not
                "cpu_us_per_line": round(t["cpu"] / max(t["acked"], 1) * 1e6, 2),
                "loop_cpu_us_per_line": round(t["loop"] / max(t["acked"], 1) * 1e6, 2),
            }
            say(
                f"  {fmt:9} {r['rate']:>10,.0f} lines/s stored (acknowledged {r['acked']:,}, drained {r['drain_s']} s, "
                f"refused {r['refused']}, failed {r['failed']}, p50 {r['p50_ms']} ms, "
                f"peak RSS {r['peak_rss_mib']} MiB; "
                f"collector CPU {r['cpu_us_per_line']} us per line, event loop {r['loop_cpu_us_per_line']})"
            )
    finally:
        collector.stop()
    results["load_average_end"] = os.getloadavg()
    say(
        "  load average at start {:.1f} {:.1f} {:.1f}, at end {:.1f} {:.1f} {:.1f}".format(
            *results["load_average_start"], *results["load_average_end"]
        )
    )
    try:
        stored = count_rows(data, database)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the engine's data folder: tens of MB per run
    for fmt in args.formats:
        results[fmt]["stored"] = stored[fmt]
        say(f"  {fmt:9} acknowledged {results[fmt]['acked']:,}  stored {stored[fmt]:,}")
    if "otlp" in results:
        for fmt in ("jsonlines", "loki"):
            if fmt in results:
                say(f"  {fmt} / OTLP log records: {results[fmt]['rate'] / results['otlp']['rate']:.2f}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "logs-ingest-latest.json").write_text(json.dumps(results, indent=2))
    say(f"results written to {out / 'logs-ingest-latest.json'}")


if __name__ == "__main__":
    main()
