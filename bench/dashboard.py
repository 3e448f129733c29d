"""Dashboard benchmark: each page's API time at N spans and N log lines, beside its bare queries.

Not a test. Data is generated inside the embedded engine by INSERT ... SELECT FROM numbers() (see
bench/dashgen.py): ten-span traces over 20 services, log lines and metrics spread over the last 24
hours, plus one 10,000-span trace; inserting into otel_traces feeds its view (the trace-id table) as
the collector's inserts do. 10 million spans and 10 million log lines take about 5 minutes on 2
cores. Then the service map's edge rollup (and the services list's, rolled with it) catches up over
the generated day (timed: the backfill a user pays once; a running stack rolls each minute as it
passes). Then, for every page, the median over --runs of: the HTTP answer of its /api call (the
dashboard on a local port, so this is server time plus a loopback round trip), and the same queries
run bare, one after another, through the Store. Last, the time Chromium takes to fully render the
10,000-span trace.

Every figure is printed beside a reference measured in the same run (a full scan of one column of
all spans), and the load average is printed before and after: on a shared machine absolute times
drift 2-10x, the ratios much less.

Usage (from the repository root):
    PYTHONPATH=$PWD .venv/bin/python bench/dashboard.py                 # 10M spans, 10M log lines, 7 runs
    PYTHONPATH=$PWD .venv/bin/python bench/dashboard.py --spans 1000000 --runs 3
    PYTHONPATH=$PWD .venv/bin/python bench/dashboard.py --data /tmp/dash10m   # keep the data and reuse it
    PYTHONPATH=$PWD .venv/bin/python bench/dashboard.py --data /tmp/dash10m --only 'trace ' --runs 9   # trace view
    PYTHONPATH=$PWD .venv/bin/python bench/dashboard.py --data /tmp/dash10m --only service   # some pages
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dashgen
from dashboard.app import create_app
from dashboard.edge_job import roll_due
from dashboard.params import window
from otelhouse.config import load_settings
from storage import Store
from storage.queries import edges as qe
from storage.queries import logs as ql
from storage.queries import metrics as qm
from storage.queries import services as qs
from storage.queries import traces as qt
from storage.queries.common import AttrFilter
from tests.dashboard.conftest import serve

BIG_TRACE = "ab" * 16
FLOORS_MS = {"trace by id": 50, "logs: 24h free text": 300}
DEFAULT_FLOOR_MS = 300


def search(w, q: qt.TraceQuery) -> Callable:
    """Return the trace search's two queries as one: matching ids, then their summaries."""
    return lambda c, db: qt.trace_summaries(c, db, qt.matching_trace_ids(c, db, w, q))


def pages(db: str, trace_id: str, span_id: str) -> list[tuple[str, str, dict, list[Callable]]]:
    """Return (name, API path, parameters, the same queries bare) for every page measured."""
    h1, h24 = {"from": "now-1h"}, {"from": "now-24h"}
    w1, w24 = window(h1), window(h24)
    svc = "svc-3"
    lq = ql.LogQuery
    counter = qm.MetricQuery("http.requests", "sum")
    hist = qm.MetricQuery("http.duration", "histogram")
    gauge = qm.MetricQuery("queue.depth", "gauge", group_by=("route",))
    return [
        ("services 1h", "/api/services", h1, [partial(qs.service_red, w=w1), partial(qs.service_counts, w=w1)]),
        ("services 24h", "/api/services", h24, [partial(qs.service_red, w=w24), partial(qs.service_counts, w=w24)]),
        (
            "service page 24h",
            f"/api/services/{svc}",
            h24,
            [
                partial(qs.operation_red, w=w24, service=svc),
                partial(qs.service_sparklines, w=w24, service=svc),
                partial(qs.latency_heatmap, w=w24, service=svc),
                partial(qs.recent_errors, w=w24, service=svc),
                partial(qs.slowest_spans, w=w24, service=svc),
                partial(qe.service_edges, w=w24, service=svc),
            ],
        ),
        ("service map 1h", "/api/map", h1, [partial(qs.service_red, w=w1), partial(qe.service_edges, w=w1)]),
        ("service map 24h", "/api/map", h24, [partial(qs.service_red, w=w24), partial(qe.service_edges, w=w24)]),
        (
            "traces: service 1h",
            "/api/traces",
            {**h1, "service": svc},
            [
                search(w1, qt.TraceQuery(service=svc)),
                partial(qt.span_operations, w=w1, service=svc),
            ],
        ),
        (
            "traces: attribute 24h",
            "/api/traces",
            {**h24, "attr": "user.id=42"},
            [search(w24, qt.TraceQuery(attrs=(AttrFilter("user.id", "=", "42"),)))],
        ),
        (
            "traces: errors >500ms 24h",
            "/api/traces",
            {**h24, "status": "Error", "min_ms": "500"},
            [search(w24, qt.TraceQuery(status="Error", min_ns=500 * 10**6))],
        ),
        ("trace by id", f"/api/traces/{trace_id}", {}, [partial(qt.trace_span_columns, trace_id=trace_id)]),
        (
            "trace by id: a span's details (on click)",
            f"/api/traces/{trace_id}/spans/{span_id}",
            {},
            [partial(qt.span_detail, trace_id=trace_id, span_id=span_id)],
        ),
        ("trace of 10,000 spans", f"/api/traces/{BIG_TRACE}", {}, [partial(qt.trace_span_columns, trace_id=BIG_TRACE)]),
        ("logs: newest 1h", "/api/logs", h1, [partial(ql.search_logs, w=w1, q=lq(), limit=100)]),
        ("logs: newest 24h", "/api/logs", h24, [partial(ql.search_logs, w=w24, q=lq(), limit=100)]),
        (
            "logs: 24h free text",
            "/api/logs",
            {**h24, "q": "timeout"},
            [partial(ql.search_logs, w=w24, q=lq(text="timeout"), limit=100)],
        ),
        ("logs: histogram 24h", "/api/logs/histogram", h24, [partial(ql.severity_histogram, w=w24, q=lq())]),
        (
            "logs: attribute + level 24h",
            "/api/logs",
            {**h24, "attr": "region=eu", "level": "ERROR"},
            [partial(ql.search_logs, w=w24, q=lq(levels=(5,), attrs=(AttrFilter("region", "=", "eu"),)), limit=100)],
        ),
        (
            "logs: by trace id 24h",
            "/api/logs",
            {**h24, "trace_id": trace_id},
            [partial(ql.search_logs, w=w24, q=lq(trace_id=trace_id), limit=100)],
        ),
        ("metrics: catalogue 24h", "/api/metrics", h24, [partial(qm.metric_catalog, w=w24)]),
        (
            "metrics: counter rate 24h",
            "/api/metrics/series",
            {**h24, "name": "http.requests", "kind": "sum", "agg": "rate"},
            [partial(qm.counter_increase, w=w24, q=counter), partial(qm.exemplars, w=w24, q=counter)],
        ),
        (
            "metrics: histogram p99 24h",
            "/api/metrics/series",
            {**h24, "name": "http.duration", "kind": "histogram", "agg": "p99"},
            [partial(qm.histogram_points, w=w24, q=hist), partial(qm.exemplars, w=w24, q=hist)],
        ),
        (
            "metrics: gauge by label 24h",
            "/api/metrics/series",
            {**h24, "name": "queue.depth", "kind": "gauge", "agg": "avg", "group": "route"},
            [partial(qm.value_series, w=w24, q=gauge, agg="avg"), partial(qm.exemplars, w=w24, q=gauge)],
        ),
    ]


def load() -> str:
    """Return the 1, 5 and 15 minute load averages."""
    return "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def timed_cpu(fn: Callable[[], object]) -> tuple[float, float]:
    """Return the wall ms and this process's CPU ms (all its threads: the server's and the engine's) of a call."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000


def fetch(url: str) -> None:
    with urllib.request.urlopen(url, timeout=120) as res:
        res.read()


def render_big_trace(base: str, runs: int) -> tuple[float, float] | None:
    """Return the median ms from navigation to the 10,000-span waterfall's first rows, and to fully rendered
    (its rows and its chart drawn) in Chromium."""
    if not shutil.which("chromium"):
        return None
    from playwright.sync_api import sync_playwright

    from tests.dashboard.browser import ARGS

    rows, times = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(base + "/services")  # warm the static files, as a user arriving from another page
        for _ in range(runs):
            t0 = time.perf_counter()
            page.goto(f"{base}/traces/{BIG_TRACE}")
            page.wait_for_selector(".wf-row")
            rows.append((time.perf_counter() - t0) * 1000)
            page.wait_for_selector("#chart-breakdown .main-svg")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            times.append((time.perf_counter() - t0) * 1000)
        browser.close()
    return statistics.median(rows), statistics.median(times)


def edges_with_and_without_rollup(store: Store, db: str, runs: int) -> str:
    """Return the bare 24 h edge query's median with the rollup and as the raw join alone, same run."""
    w24 = window({"from": "now-24h"})
    with_rollup, raw = (
        statistics.median(
            timed(partial(store.call, partial(qe.service_edges, db=db, w=w24, use_rollup=u))) for _ in range(runs)
        )
        for u in (True, False)
    )
    return (
        f"\nservice map edges 24h, bare: {with_rollup:.1f} ms from the rollup + raw tail, {raw:.1f} ms as the "
        f"raw join alone ({raw / with_rollup:.1f}x); load {load()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spans", type=int, default=10_000_000)
    ap.add_argument("--logs", type=int, default=0, help="log lines (default: as many as spans)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--data", default="", help="engine folder to keep and reuse (default: a temporary one)")
    ap.add_argument(
        "--only",
        default="",
        help="measure only the pages whose name holds this text, e.g. 'trace' (Chromium renders the "
        "10,000-span trace when it is among them)",
    )
    ap.add_argument("--no-rollup", action="store_true", help="skip the rollups' catch-up (the pages as before them)")
    args = ap.parse_args()
    logs = args.logs or args.spans
    folder = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="dashbench-")) / "clickhouse"
    settings = load_settings({"OTELHOUSE_CLICKHOUSE_URL": f"chdb://{folder}", "OTELHOUSE_CLICKHOUSE_DATABASE": "bench"})
    store = Store.open(settings)
    store.migrate()
    db = store.database
    have = store.call(lambda c: c.query(f"SELECT count() FROM {db}.otel_traces").result_rows[0][0])
    if have < args.spans:
        t0 = time.perf_counter()
        store.call(lambda c: dashgen.generate(c, db, args.spans, logs, int(time.time())))
        print(f"generated {args.spans:,} spans, {logs:,} log lines, metrics in {time.perf_counter() - t0:.1f} s")
    counts = store.call(
        lambda c: c.query(
            f"SELECT (SELECT count() FROM {db}.otel_traces), (SELECT count() FROM {db}.otel_logs), "
            f"(SELECT count() FROM system.parts WHERE database = '{db}' AND active)"
        ).result_rows[0]
    )
    print(f"rows: {counts[0]:,} spans, {counts[1]:,} log lines; {counts[2]} active parts")
    # as a running stack would have it: the service map's edge rollup caught up (what a user pays once)
    if not args.no_rollup:
        t0 = time.perf_counter()
        minutes = roll_due(store, time.time_ns(), budget_s=float("inf"))
        print(f"rollups' catch-up: {minutes:,} minutes rolled in {time.perf_counter() - t0:.1f} s; load {load()}")
    trace_id, span_id = store.call(
        lambda c: c.query(
            f"SELECT TraceId, SpanId FROM {db}.otel_traces WHERE Timestamp > now() - INTERVAL 2 HOUR "
            "AND ServiceName = 'svc-3' AND ParentSpanId = '' LIMIT 1"
        ).result_rows[0]
    )
    # references measured in the same run: the machine is shared, so absolute times drift 2-10x
    ref = statistics.median(
        timed(partial(store.call, lambda c: c.query(f"SELECT count(), sum(Duration) FROM {db}.otel_traces")))
        for _ in range(args.runs)
    )
    print(f"reference: full scan of Duration over all spans {ref:.1f} ms; load average {load()}")
    served = serve(create_app(settings, store))
    base = next(served)
    # API CPU: the process's CPU time during the API call (server, engine and the loopback client): it
    # grows much less than wall time when other work shares the cores
    print("\n| page | API median ms | bare queries median ms | API / bare | API / full scan | API CPU ms | floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    try:
        chosen = [p for p in pages(db, trace_id, span_id) if args.only in p[0]]
        for name, path, params, bare in chosen:
            url = f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
            fetch(url)  # warm
            walls, cpus = zip(*(timed_cpu(partial(fetch, url)) for _ in range(args.runs)), strict=True)
            api, cpu = statistics.median(walls), statistics.median(cpus)
            raw = statistics.median(
                sum(timed(partial(store.call, lambda c, q=q: q(c, db))) for q in bare) for _ in range(args.runs)
            )
            floor = FLOORS_MS.get(name, DEFAULT_FLOOR_MS)
            verdict = "ok" if api < floor else "OVER"
            cells = f"{api:.1f} | {raw:.1f} | {api / raw:.2f} | {api / ref:.2f} | {cpu:.1f}"
            print(f"| {name} | {cells} | < {floor} {verdict} |", flush=True)
        if not args.no_rollup and ("service" in args.only or not args.only):
            print(edges_with_and_without_rollup(store, db, args.runs))
        shell = statistics.median(timed(partial(fetch, f"{base}/services")) for _ in range(args.runs))
        print(f"| HTML shell of a page (/services) | {shell:.1f} | - | - | {shell / ref:.2f} | - | < 300 |")
        big = any(name == "trace of 10,000 spans" for name, *_ in chosen)
        rendered = render_big_trace(base, max(3, args.runs // 2)) if big else None
        if rendered is not None:
            print(
                f"\n10,000-span trace in Chromium: first rows drawn median {rendered[0]:.0f} ms, "
                f"fully rendered median {rendered[1]:.0f} ms (floor 1000 ms)"
            )
        print(f"load average at the end {load()}")
    finally:
        next(served, None)  # stops the server
        store.close()


if __name__ == "__main__":
    main()
