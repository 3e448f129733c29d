"""KPI pages benchmark: each default page's /api/kpi answer over days of the demo shop.

Not a test. The demo shop's history (demo.backfill, the same business metrics the live demo sends,
one-minute delta points) is written through a live collector into a fresh embedded engine; then, for
every page of the built-in stakeholders file, the median over --runs of its HTTP answer for the last
24 hours and the last 7 days (server time plus a loopback round trip), and of one panel's CSV.

Usage: .venv/bin/python bench/kpi.py [--days 3] [--rate 0.5] [--runs 5] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.app import create_app
from demo.backfill import backfill_range
from otelhouse.config import load_settings
from otelhouse.stakeholders import load_stakeholders
from storage import Store
from tests.collector.conftest import start_live_collector
from tests.dashboard.conftest import serve


def median_ms(url: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=300) as res:
            res.read()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=3.0, help="days of demo history to write")
    ap.add_argument("--rate", type=float, default=0.5, help="demo visits per second at the daily peak")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", default="", help="folder for the engine (default: a temporary one, removed)")
    args = ap.parse_args()
    folder = Path(args.data or tempfile.mkdtemp(prefix="oh-bench-kpi-"))
    chdb = folder / "clickhouse"
    settings = load_settings({"OTELHOUSE_CLICKHOUSE_URL": f"chdb://{chdb}"})
    store = Store.open(settings)
    store.migrate()
    collector = start_live_collector(chdb, store, store.database)
    live = next(collector)
    try:
        end = time.time() // 60 * 60
        t0 = time.perf_counter()
        sent = backfill_range(live.http_url, {}, end - args.days * 86400, end, args.rate, seed=3, sample=0.0)
        live.wait_stored(timeout=600)
        print(
            f"wrote {args.days:g} days: {sent.visits} visits, {sent.points} metric points in "
            f"{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f}"
        )
        app = serve(create_app(settings, store))
        base = next(app)
        print(f"{'page':<28}{'24 h (ms)':>12}{'7 days (ms)':>14}{'one CSV, 7 days (ms)':>24}")
        for s in load_stakeholders().stakeholders:
            for p in s.pages:
                path = f"{base}/api/kpi/{s.id}/{p.id}"
                csv = f"{path}/{next(x.id for x in p.panels if x.has_data)}.csv?from=now-7d"
                day, week = median_ms(f"{path}?from=now-24h", args.runs), median_ms(f"{path}?from=now-7d", args.runs)
                print(f"{s.id + '/' + p.id:<28}{day:>12.0f}{week:>14.0f}{median_ms(csv, args.runs):>24.0f}")
        print(f"load average {os.getloadavg()[0]:.1f} (1 min)")
        app.close()
    finally:
        collector.close()
        store.close()
        if not args.data:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
