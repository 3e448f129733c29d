"""Scrape load: N targets of M series each at an interval, scraped by a real `otelhouse serve`.

The targets are aiohttp endpoints in one separate process, each serving its own text exposition
(counters, gauges and a histogram, values changing every scrape). Reports the collector's CPU
(utime + stime from /proc over the run), scrapes done against scheduled, missed scrapes, start lag
(otelhouse_collector_scrape_lag_seconds) and the points stored.

    python bench/scrape_load.py --targets 100 --series 1000 --interval 15 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import Collector, free_port, say  # noqa: E402


def exposition(series: int, tick: int) -> str:
    """A node-exporter-like page: `series` lines in a few families."""
    lines = ["# HELP app_requests_total Requests.", "# TYPE app_requests_total counter"]
    n = series - 13  # the histogram takes 13 lines
    lines += [f'app_requests_total{{path="/p{i}",code="200"}} {tick * 3 + i}' for i in range(n // 2)]
    lines += ["# TYPE app_queue_depth gauge"]
    lines += [f'app_queue_depth{{queue="q{i}"}} {(tick * 7 + i) % 100}' for i in range(n - n // 2)]
    lines += ["# TYPE app_latency_seconds histogram"]
    bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"]
    lines += [f'app_latency_seconds_bucket{{le="{b}"}} {tick * (k + 1)}' for k, b in enumerate(bounds)]
    lines += [f"app_latency_seconds_sum {tick * 1.5}", f"app_latency_seconds_count {tick * len(bounds)}"]
    return "\n".join(lines) + "\n"


def serve_targets(ports: list[int], series: int) -> None:
    """Entry point of the targets' process."""
    import asyncio

    from aiohttp import web

    async def main() -> None:
        ticks = dict.fromkeys(ports, 0)
        for port in ports:

            async def metrics(request: web.Request, port: int = port) -> web.Response:
                ticks[port] += 1
                return web.Response(text=exposition(series, ticks[port]), content_type="text/plain")

            app = web.Application()
            app.router.add_get("/metrics", metrics)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scrape_metrics(http: int) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=30) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("otelhouse_collector_scrape"):
                key = s.name + (
                    "{" + ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())) + "}" if s.labels else ""
                )
                out[key] = s.value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=15)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    ports = [free_port() for _ in range(args.targets)]
    targets = mp.get_context("spawn").Process(target=serve_targets, args=(ports, args.series), daemon=True)
    targets.start()
    time.sleep(3)
    job = {
        "name": "load",
        "targets": [f"127.0.0.1:{p}" for p in ports],
        "interval_s": args.interval,
        "timeout_s": min(10.0, args.interval),
    }
    work = Path(tempfile.mkdtemp(prefix="otelhouse-scrape-bench-"))
    jobs = json.dumps([job])
    collector = Collector(work / "clickhouse", "bench_scrape", native=True, OTELHOUSE_PROMETHEUS_SCRAPE_JOBS=jobs)
    try:
        cpu0, t0 = cpu_seconds(collector.proc.pid), time.monotonic()
        time.sleep(args.seconds)
        cpu1, t1 = cpu_seconds(collector.proc.pid), time.monotonic()
        m = scrape_metrics(collector.http)
    finally:
        collector.stop()
        targets.terminate()
    scheduled = args.targets * (t1 - t0) / args.interval
    ok = m.get("otelhouse_collector_scrapes_total{job=load,outcome=ok}", 0)
    failed = sum(v for k, v in m.items() if k.startswith("otelhouse_collector_scrapes_total") and "outcome=ok" not in k)
    lag_count = m.get("otelhouse_collector_scrape_lag_seconds_count", 0) or 1
    lag_mean = m.get("otelhouse_collector_scrape_lag_seconds_sum", 0) / lag_count
    lag_le_1 = m.get("otelhouse_collector_scrape_lag_seconds_bucket{le=1.0}", 0) / lag_count
    say(
        f"{args.targets} targets x {args.series} series every {args.interval:g} s for {t1 - t0:.0f} s: "
        f"{ok:.0f} scrapes ok ({scheduled:.0f} scheduled), {failed:.0f} not ok, "
        f"missed {m.get('otelhouse_collector_scrapes_missed_total{job=load}', 0):.0f}; "
        f"collector CPU {(cpu1 - cpu0) / (t1 - t0) * 100:.0f}% of one core; "
        f"start lag mean {lag_mean * 1000:.0f} ms, {lag_le_1 * 100:.0f}% under 1 s"
    )


if __name__ == "__main__":
    main()
