"""otelhouse scrapes real exporters: prometheus_client (OpenMetrics), node-exporter (text), itself.

Targets are real: prometheus_client's own HTTP server, Debian's node-exporter, and the collector's
/metrics. A dead target (a closed port) and a slow one (an aiohttp server that answers late) run
beside them to show they delay no one.
"""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary, start_http_server

from tests.collector.conftest import start_live_collector
from tests.collector.prometheus.peers import node_exporter, select, wait_rows
from tests.conftest import free_port

# each test runs a collector scraping live targets for several seconds
pytestmark = pytest.mark.slow


def known_target() -> tuple[str, object]:
    """A prometheus_client exporter with known values; returns its address and server."""
    r = CollectorRegistry()
    orders = Counter("orders", "Orders placed", ["status"], registry=r)
    orders.labels("ok").inc(3)
    orders.labels("failed").inc()
    Gauge("room_temperature", "Temperature", unit="celsius", registry=r).set(21.5)
    latency = Histogram("latency_seconds", "Latency", buckets=(0.1, 0.5, 1), registry=r)
    for v in (0.05, 0.3, 0.3, 2):
        latency.observe(v)
    size = Summary("size_bytes", "Sizes", registry=r)
    size.observe(10)
    size.observe(20)
    port = free_port()
    server, _ = start_http_server(port, "127.0.0.1", registry=r)
    return f"127.0.0.1:{port}", server


class SlowTarget:
    """An exposition endpoint that answers after `delay` seconds, on its own thread and loop."""

    def __init__(self, delay: float) -> None:
        self.port = free_port()
        self.loop = asyncio.new_event_loop()

        async def metrics(request: web.Request) -> web.Response:
            await asyncio.sleep(delay)
            return web.Response(text="slow_gauge 1\n", content_type="text/plain")

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def scraping(chdb_path, store, database, tmp_path):
    address, server = known_target()
    slow = SlowTarget(delay=5)
    dead = f"127.0.0.1:{free_port()}"
    own_port = free_port()
    jobs = [
        {"name": "shop", "targets": [address], "interval_s": 0.5, "timeout_s": 0.5, "labels": {"env": "test"}},
        {"name": "broken", "targets": [dead, f"127.0.0.1:{slow.port}"], "interval_s": 1, "timeout_s": 1},
        {"name": "otelhouse", "targets": [f"127.0.0.1:{own_port}"], "interval_s": 0.5, "timeout_s": 0.5},
    ]
    env = {"OTELHOUSE_PROMETHEUS_SCRAPE_JOBS": json.dumps(jobs), "OTELHOUSE_COLLECTOR_HTTP_PORT": str(own_port)}
    try:
        yield from start_live_collector(chdb_path, store, database, **env)
    finally:
        server.shutdown()
        slow.close()


def test_prometheus_client_target_maps_counter_gauge_histogram_summary(scraping):
    live = scraping
    rows = wait_rows(
        live,
        "SELECT count() FROM {db}.otel_metrics_histogram WHERE MetricName = 'latency_seconds'",
        lambda r: r[0][0] >= 3,
    )
    assert rows[0][0] >= 3, "three scrapes at 0.5 s should have landed"
    sums = select(
        live,
        "SELECT MetricName, Attributes, Value, IsMonotonic, AggregationTemporality, ServiceName, "
        "ResourceAttributes['service.instance.id'], MetricDescription, StartTimeUnix > '2000-01-01' "
        "FROM {db}.otel_metrics_sum WHERE ServiceName = 'shop' ORDER BY TimeUnix DESC LIMIT 2 BY Attributes",
    )
    by_status = {r[1]["status"]: r for r in sums if r[0] == "orders_total"}
    assert by_status["ok"][2] == 3.0 and by_status["failed"][2] == 1.0
    _, attrs, _, monotonic, temporality, service, instance, description, has_start = by_status["ok"]
    assert (monotonic, temporality, service, description) == (True, 2, "shop", "Orders placed")
    assert attrs == {"env": "test", "status": "ok"}
    assert instance.startswith("127.0.0.1:")
    assert has_start, "OpenMetrics' orders_created sets the start time"

    gauge = select(
        live,
        "SELECT Value, MetricUnit, MetricDescription FROM {db}.otel_metrics_gauge "
        "WHERE MetricName = 'room_temperature_celsius' AND ServiceName = 'shop' LIMIT 1",
    )
    assert gauge == [(21.5, "celsius", "Temperature")]

    hist = select(
        live,
        "SELECT Count, Sum, BucketCounts, ExplicitBounds, AggregationTemporality FROM {db}.otel_metrics_histogram "
        "WHERE MetricName = 'latency_seconds' LIMIT 1",
    )
    assert hist == [(4, 2.65, [1, 2, 0, 1], [0.1, 0.5, 1.0], 2)]

    summary = select(
        live, "SELECT Count, Sum, Attributes FROM {db}.otel_metrics_summary WHERE MetricName = 'size_bytes' LIMIT 1"
    )
    assert summary == [(2, 30.0, {"env": "test"})]

    up = wait_rows(
        live,
        "SELECT ServiceName, max(Value), min(Value) FROM {db}.otel_metrics_gauge WHERE MetricName = 'up' "
        "GROUP BY ServiceName ORDER BY ServiceName",
        lambda r: len(r) == 3,
    )
    assert ("shop", 1.0, 1.0) in up
    assert ("broken", 0.0, 0.0) in up, "the dead and the slow targets report up = 0"


def test_dead_and_slow_targets_delay_no_one(scraping):
    """The slow target answers after 5 s (its timeout is 1 s); the healthy ones still run every 0.5 s."""
    live = scraping
    sql = (
        "SELECT ServiceName, groupArray(toUnixTimestamp64Milli(TimeUnix)) FROM "
        "(SELECT ServiceName, TimeUnix FROM {db}.otel_metrics_gauge WHERE MetricName = 'up' ORDER BY TimeUnix) "
        "GROUP BY ServiceName"
    )
    rows = wait_rows(live, sql, lambda r: all(len(dict(r).get(job, [])) >= 8 for job in ("shop", "otelhouse")), 60)
    times = dict(rows)
    for job in ("shop", "otelhouse"):
        assert len(times[job]) >= 8, times
        gaps = [b - a for a, b in zip(times[job], times[job][1:], strict=False)]
        # generous for a loaded machine, and still under the slow target's 5 s: nothing waited on it
        assert max(gaps) < 2500, (job, gaps)


def test_collector_scrapes_its_own_metrics(scraping):
    live = scraping
    rows = wait_rows(
        live,
        "SELECT max(Value) FROM {db}.otel_metrics_sum WHERE ServiceName = 'otelhouse' "
        "AND MetricName = 'otelhouse_collector_scrapes_total' AND Attributes['outcome'] = 'ok'",
        lambda r: r[0][0] >= 2,
    )
    assert rows[0][0] >= 2


def test_node_exporter_scraped_as_text(chdb_path, store, database, tmp_path):
    with node_exporter(tmp_path) as address:
        jobs = [{"name": "node", "targets": [address], "interval_s": 1.5, "timeout_s": 1.5}]
        env = {"OTELHOUSE_PROMETHEUS_SCRAPE_JOBS": json.dumps(jobs)}
        for live in start_live_collector(chdb_path, store, database, **env):
            rows = wait_rows(
                live,
                "SELECT count(DISTINCT TimeUnix), uniqExact(Attributes) FROM {db}.otel_metrics_sum "
                "WHERE MetricName = 'node_cpu_seconds_total' AND ServiceName = 'node'",
                lambda r: r[0][0] >= 2,
            )
            scrapes, series = rows[0]
            assert scrapes >= 2 and series >= 2  # a few CPUs x modes
            kinds = select(
                live,
                "SELECT (SELECT count() FROM {db}.otel_metrics_gauge WHERE MetricName = 'node_load1'), "
                "(SELECT count() FROM {db}.otel_metrics_summary WHERE MetricName = 'go_gc_duration_seconds'), "
                "(SELECT max(Value) FROM {db}.otel_metrics_gauge WHERE MetricName = 'up' AND ServiceName = 'node')",
            )
            loads, summaries, up = kinds[0]
            assert loads >= 2 and summaries >= 2 and up == 1.0
