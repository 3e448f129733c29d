"""Done-means of the demo: `otelhouse serve` starts the demo shop, and `otelhouse demo --backfill` writes
history; what both sent is read back from ClickHouse (real serve process, real OTel SDK, real chDB)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.otelhouse.test_cli import wait_http

ROOT = Path(__file__).resolve().parents[2]
OTELHOUSE = [sys.executable, "-m", "otelhouse"]
LIVE_SECONDS = 15


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Serve with the demo on for LIVE_SECONDS while a 3 h backfill runs; stop; return the stored rows."""
    tmp = tmp_path_factory.mktemp("demo")
    http = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")},
        "OTELHOUSE_CLICKHOUSE_URL": f"chdb://{tmp}/clickhouse",
        "OTELHOUSE_COLLECTOR_WAL_DIR": str(tmp / "wal"),
        "OTELHOUSE_COLLECTOR_HOST": "127.0.0.1",
        "OTELHOUSE_COLLECTOR_HTTP_PORT": str(http),
        "OTELHOUSE_COLLECTOR_GRPC_PORT": str(free_port()),
        "OTELHOUSE_DASHBOARD_HOST": "127.0.0.1",
        "OTELHOUSE_DASHBOARD_PORT": str(free_port()),
        "OTELHOUSE_RETENTION_ENABLED": "false",
        "OTELHOUSE_LOG_FORMAT": "text",
        "OTELHOUSE_DEMO_SEED": "7",
    }
    live = {**env, "OTELHOUSE_DEMO_VISITS_PER_SECOND": "20", "OTELHOUSE_DEMO_EXPORT_INTERVAL_S": "1"}
    serve = subprocess.Popen([*OTELHOUSE, "serve"], env=live, cwd=tmp, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_http(f"http://127.0.0.1:{http}/readyz") == 200
        started = time.monotonic()
        backfill = subprocess.run(
            [*OTELHOUSE, "demo", "--backfill", "3h"], env=env, cwd=tmp, capture_output=True, text=True, timeout=600
        )
        time.sleep(max(0.0, LIVE_SECONDS - (time.monotonic() - started)))
        serve.send_signal(signal.SIGTERM)
        _, serve_log = serve.communicate(timeout=120)
    finally:
        if serve.poll() is None:
            serve.kill()
    out = subprocess.run(
        [sys.executable, "-m", "tests.demo.read_store", str(tmp / "clickhouse")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return {"rows": json.loads(out.stdout), "serve": serve, "serve_log": serve_log, "backfill": backfill}


@pytest.mark.slow
def test_serve_starts_demo_and_stops_it_cleanly(demo_run: dict) -> None:
    log = demo_run["serve_log"]
    assert demo_run["serve"].returncode == 0, log[-3000:]
    assert "demo shop started" in log and "Traceback" not in log
    stopped = re.search(r"demo shop stopped: (\d+) visits in \d+ s, CPU [\d.]+ s \(([\d.]+)% of one core\)", log)
    assert stopped and int(stopped[1]) > 20, log[-3000:]
    print(f"\ndemo at 20 visits/s peak: {stopped[1]} visits, {stopped[2]}% of one core")
    # logrus/zap lines: stored through POST /v1/logs/json, or one clear warning where the route is missing
    json_services = {"inventory", "email"} & set(dict(demo_run["rows"]["log_services"]))
    assert log.count("has no JSON-lines route") == (0 if json_services else 1), log[-3000:]
    # the demo stops before the collector does, so its last flush is stored
    assert log.index("demo shop stopped") < log.index("collector pipeline flushed")


@pytest.mark.slow
def test_rows_from_at_least_four_demo_services(demo_run: dict) -> None:
    services = dict(demo_run["rows"]["trace_services"])
    assert {"frontend", "checkout", "payments", "inventory", "email"} <= set(services), services
    live = dict(demo_run["rows"]["sdk_trace_services"])  # sent by the live demo through the SDK
    assert len(live) >= 4 and all(count > 0 for count in live.values()), live
    assert demo_run["rows"]["parents_across_services"][0][0] > 0  # traceparent carried across services


@pytest.mark.slow
def test_log_lines_find_their_traces(demo_run: dict) -> None:
    linked = demo_run["rows"]["linked"]
    assert linked, "no checkout log line with a trace id"
    for trace_id, body, spans, services in linked:
        assert len(trace_id) == 32 and spans >= 3 and "checkout" in services, (trace_id, body, spans, services)


@pytest.mark.slow
def test_business_metric_points(demo_run: dict) -> None:
    business = {name: (points, total, currencies) for name, points, total, currencies in demo_run["rows"]["business"]}
    assert business["shop.orders"][0] > 0 and business["shop.orders"][1] > 0
    assert demo_run["rows"]["sdk_business"][0][0] > 0  # points from the live demo's MeterProvider too
    assert business["shop.revenue"][1] > 0 and {"USD", "EUR"} <= set(business["shop.revenue"][2])
    assert "shop.cart.abandoned" in business and "shop.signups" in business
    assert dict(demo_run["rows"]["gauges"]).keys() >= {"messaging.queue.depth", "db.client.connection.count"}
    assert len(demo_run["rows"]["histograms"]) >= 4


@pytest.mark.slow
def test_backfill_writes_hours_of_history(demo_run: dict) -> None:
    backfill = demo_run["backfill"]
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    assert "backfill [##############################] 100%" in backfill.stderr
    assert demo_run["rows"]["span_hours"][0][0] > 2.5
    assert demo_run["rows"]["point_hours"][0][0] > 2.5
