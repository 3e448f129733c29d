"""The Go example service (examples/go-service) under load, with otelhouse scraping it and taking its traces.

Everything is real: the service is built from Debian's Go packages (client_golang, logrus,
OpenTelemetry Go's Jaeger exporter) into tests/.cache/, sends spans to POST /api/traces and ships
its logrus JSON lines (also written to a file) to POST /v1/logs/json; in ClickHouse the trace id
of each stored log line finds its trace.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.collector.conftest import start_live_collector
from tests.collector.prometheus.peers import process, select, wait_rows
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "examples" / "go-service"
CACHE = ROOT / "tests" / ".cache"
BINARY = CACHE / "go-service"
REQUESTS = 60


@pytest.fixture(scope="session")
def go_service_binary() -> Path:
    """Build the service offline from Debian's Go packages, once per source change."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("golang-go is not installed (make deb-test installs it)")
    newest = max(p.stat().st_mtime for p in SOURCE.glob("*.go"))
    if not BINARY.exists() or BINARY.stat().st_mtime < newest:
        CACHE.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": str(CACHE / "go-build")}
        done = subprocess.run(
            [go, "build", "-o", str(BINARY), "./examples/go-service"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"go build failed:\n{done.stderr}"
    return BINARY


def checkout(base: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/checkout", timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_go_service_traces_metrics_and_logs_join(go_service_binary, chdb_path, store, database, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    jobs = [{"name": "checkout", "targets": [f"127.0.0.1:{port}"], "interval_s": 0.5, "timeout_s": 0.5}]
    log_file = tmp_path / "service.log"
    for live in start_live_collector(chdb_path, store, database, OTELHOUSE_PROMETHEUS_SCRAPE_JOBS=json.dumps(jobs)):
        env = {
            **os.environ,
            "LISTEN": f"127.0.0.1:{port}",
            "LOG_FILE": str(log_file),
            "OTEL_EXPORTER_JAEGER_ENDPOINT": f"{live.http_url}/api/traces",
            "LOG_ENDPOINT": f"{live.http_url}/v1/logs/json",
        }
        with process([str(go_service_binary)], tmp_path / "stdout.log", f"{base}/metrics", env=env) as service:
            with ThreadPoolExecutor(4) as pool:
                statuses = Counter(pool.map(lambda _: checkout(base), range(REQUESTS)))
            assert statuses == {200: REQUESTS - REQUESTS // 5, 502: REQUESTS // 5}
            # a scrape after the last request carries the final counter values (a failed scrape stores
            # Prometheus stale markers after them: NaN sums and no-recorded-value histograms, skipped)
            counted = wait_rows(
                live,
                "SELECT sum(v) FROM (SELECT argMaxIf(Value, TimeUnix, NOT isNaN(Value)) AS v "
                "FROM {db}.otel_metrics_sum "
                "WHERE ServiceName = 'checkout' AND MetricName = 'http_requests_total' "
                "AND Attributes['handler'] = 'checkout' GROUP BY Attributes)",
                lambda r: r[0][0] == REQUESTS,
            )
            service.send_signal(signal.SIGTERM)  # flushes the batched spans and log lines
            service.wait(20)
        assert counted == [(REQUESTS,)]
        by_status = dict(
            select(
                live,
                "SELECT Attributes['status'], argMaxIf(Value, TimeUnix, NOT isNaN(Value)) FROM {db}.otel_metrics_sum "
                "WHERE ServiceName = 'checkout' AND MetricName = 'http_requests_total' "
                "AND Attributes['handler'] = 'checkout' GROUP BY Attributes['status']",
            )
        )
        assert by_status == {"200": statuses[200], "502": statuses[502]}
        placed = select(
            live,
            "SELECT argMaxIf(Value, TimeUnix, NOT isNaN(Value)) FROM {db}.otel_metrics_sum "
            "WHERE MetricName = 'orders_placed_total'",
        )
        assert placed == [(statuses[200],)]
        histogram = select(
            live,
            "SELECT argMaxIf(Count, TimeUnix, bitAnd(Flags, 1) = 0), "
            "argMaxIf(length(ExplicitBounds), TimeUnix, bitAnd(Flags, 1) = 0) FROM {db}.otel_metrics_histogram "
            "WHERE MetricName = 'http_request_duration_seconds' AND Attributes['handler'] = 'checkout'",
        )
        assert histogram == [(REQUESTS, 7)]

        spans = wait_rows(
            live,
            "SELECT SpanName, count() FROM {db}.otel_traces WHERE ServiceName = 'checkout' GROUP BY SpanName",
            lambda r: dict(r) == {"checkout": REQUESTS, "payment": REQUESTS},
        )
        assert dict(spans) == {"checkout": REQUESTS, "payment": REQUESTS}
        # every payment span's parent is the checkout span of its trace, across the HTTP hop
        joined = select(
            live,
            "SELECT count(), countIf(p.StatusCode = 'Error') FROM {db}.otel_traces AS p "
            "INNER JOIN {db}.otel_traces AS c ON p.TraceId = c.TraceId AND p.ParentSpanId = c.SpanId "
            "WHERE p.SpanName = 'payment' AND c.SpanName = 'checkout' AND c.SpanKind = 'Server'",
        )
        assert joined == [(REQUESTS, REQUESTS // 5)]

        lines = [json.loads(line) for line in log_file.read_text().splitlines()]
        outcomes = [e for e in lines if e.get("msg") in ("order placed", "checkout failed")]
        assert len(outcomes) == REQUESTS
        # every line the service wrote is stored, shipped by the service itself, as logrus mapped it
        written = len(lines)
        stored = wait_rows(
            live,
            "SELECT count() FROM {db}.otel_logs WHERE ServiceName = 'checkout'",
            lambda r, n=written: r[0][0] == n,
        )
        assert stored == [(written,)]
        logged = select(
            live,
            "SELECT Body, SeverityText, count(), uniqExact(TraceId), countIf(length(SpanId) = 16), "
            "countIf(LogAttributes['order'] != '') FROM {db}.otel_logs "
            "WHERE ServiceName = 'checkout' AND Body IN ('order placed', 'checkout failed') GROUP BY 1, 2 ORDER BY 1",
        )
        failed, placed = statuses[502], statuses[200]
        assert logged == [
            ("checkout failed", "ERROR", failed, failed, failed, failed),
            ("order placed", "INFO", placed, placed, placed, placed),
        ]
        assert {e["trace_id"] for e in outcomes} == set(
            r[0]
            for r in select(
                live,
                "SELECT DISTINCT TraceId FROM {db}.otel_logs WHERE Body = 'order placed' OR Body = 'checkout failed'",
            )
        )
        # the trace id in a stored log line finds its trace: both handlers' spans
        joined_logs = select(
            live,
            "SELECT count(), uniqExact(l.TraceId) FROM {db}.otel_logs AS l "
            "INNER JOIN (SELECT TraceId FROM {db}.otel_traces GROUP BY TraceId HAVING uniqExact(SpanName) = 2) AS t "
            "ON l.TraceId = t.TraceId WHERE l.Body IN ('order placed', 'checkout failed')",
        )
        assert joined_logs == [(REQUESTS, REQUESTS)], "each outcome line's trace id finds its two-span trace"
