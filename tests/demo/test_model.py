"""The demo's pure parts: seasonality, incidents, visit plans, measurements, OTLP building, log shapes."""

from __future__ import annotations

import calendar
import io
import json
import random

import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as mpb

from demo.command import backfill_window, parse_duration
from demo.jsonlines import json_line, resource_header
from demo.measure import DURATION_BOUNDS, Measurement, visit_measurements
from demo.model import COUNTRIES, LogLine, simulate_visit
from demo.otlp import MinuteMetrics, SignalBatch
from demo.process import demo_wanted
from demo.progress import Progress
from demo.timeline import Incident, incident_at, traffic_factor
from otelhouse.config import ConfigError, load_settings

TUESDAY = calendar.timegm((2026, 12, 1, 0, 0, 0))


def test_daily_and_weekly_seasonality() -> None:
    evening, morning = traffic_factor(TUESDAY + 20 * 3600), traffic_factor(TUESDAY + 8 * 3600)
    assert evening > 2.5 * morning
    saturday = traffic_factor(TUESDAY + 4 * 86400 + 20 * 3600)
    assert saturday > evening
    assert all(0 < traffic_factor(TUESDAY + h * 3600) <= 1 for h in range(24 * 7))


def test_incident_timeline_is_a_function_of_time_and_seed() -> None:
    minutes = [incident_at(TUESDAY + m * 60, seed=3) for m in range(7 * 24 * 60)]
    incidents = {i for i in minutes if i}
    assert {i.kind for i in incidents} == {"payment_outage", "latency_spike"}
    assert all(6 * 60 <= i.end - i.start <= 15 * 60 for i in incidents)
    assert 0.02 < sum(1 for i in minutes if i) / len(minutes) < 0.1
    assert [incident_at(TUESDAY + m * 60, seed=3) for m in range(600)] == minutes[:600]


def _visits(n: int, incident: Incident | None = None, seed: int = 1) -> list:
    rng = random.Random(seed)
    return [simulate_visit(rng, 10**18, incident) for _ in range(n)]


def test_visit_plans_are_well_formed_trees() -> None:
    for visit in _visits(500):
        root = visit.spans[0]
        assert root.parent is None and root.service == "frontend" and root.kind == "server"
        for i, span in enumerate(visit.spans):
            assert span.end_ns >= span.start_ns >= root.start_ns
            if span.parent is not None:
                assert span.parent < i
                parent = visit.spans[span.parent]
                if span.kind == "server":  # reached over the network: a client span of the caller
                    assert parent.kind == "client" and parent.start_ns <= span.start_ns
            for line in span.logs:
                assert line.severity in ("DEBUG", "INFO", "WARN", "ERROR")


def test_payment_outage_fails_that_providers_payments() -> None:
    outage = Incident("payment_outage", 0, 1, "stripe")

    def failed_share(visits: list, provider: str) -> float:
        paid = [v.outcome for v in visits if v.outcome.provider == provider]
        return sum(o.kind == "payment_failed" for o in paid) / len(paid)

    calm, bad = _visits(3000), _visits(3000, outage)
    assert failed_share(calm, "stripe") < 0.05
    assert failed_share(bad, "stripe") > 0.3 and failed_share(bad, "adyen") < 0.05
    retried = [s for v in bad for s in v.spans if s.attributes.get("http.request.resend_count")]
    assert retried, "provider errors are retried"


def test_latency_spike_slows_the_inventory_database() -> None:
    def median_db_ms(incident: Incident | None) -> float:
        times = sorted(
            s.end_ns - s.start_ns for v in _visits(800, incident) for s in v.spans if s.name == "SELECT stock"
        )
        return times[len(times) // 2] / 1e6

    assert median_db_ms(Incident("latency_spike", 0, 1)) > 4 * median_db_ms(None)


def test_measurements_follow_the_outcome() -> None:
    for visit in _visits(400):
        names = {m.name for m in visit_measurements(visit)}
        assert "http.server.request.duration" in names
        o = visit.outcome
        if o.kind == "order":
            revenue = next(m for m in visit_measurements(visit) if m.name == "shop.revenue")
            assert dict(revenue.attributes) == {"country": o.country, "currency": COUNTRIES[o.country][0]}
            assert revenue.value == o.amount > 0
        assert ("shop.signups" in names) == (o.kind == "signup")


def test_minute_metrics_become_delta_points() -> None:
    window = MinuteMetrics(60 * 10**9, 120 * 10**9)
    attrs = (("http.route", "/"),)
    for value in (0.004, 0.02, 0.02, 12.0):
        window.add(Measurement("frontend", "http.server.request.duration", value, attrs))
    window.add(Measurement("checkout", "shop.orders", 1, (("country", "DE"),)))
    window.add(Measurement("checkout", "shop.orders", 1, (("country", "DE"),)))
    window.add(Measurement("email", "messaging.queue.depth", 3, ()))
    window.add(Measurement("email", "messaging.queue.depth", 5, ()))
    request = mpb.ExportMetricsServiceRequest()
    assert window.write(request, {}) == 3
    request = mpb.ExportMetricsServiceRequest.FromString(request.SerializeToString())
    metrics = {m.name: m for rm in request.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    hist = metrics["http.server.request.duration"].histogram
    assert hist.aggregation_temporality == 1 and hist.data_points[0].count == 4
    buckets = list(hist.data_points[0].bucket_counts)
    assert len(buckets) == len(DURATION_BOUNDS) + 1 and buckets[0] == 1 and buckets[2] == 2 and buckets[-1] == 1
    orders = metrics["shop.orders"].sum
    assert orders.is_monotonic and orders.data_points[0].as_double == 2
    assert orders.data_points[0].start_time_unix_nano == 60 * 10**9
    assert metrics["messaging.queue.depth"].gauge.data_points[0].as_double == 5


def test_signal_batch_links_logs_to_their_spans() -> None:
    rng = random.Random(4)
    visits = _visits(50)
    batch, json_lines = SignalBatch(), []
    for visit in visits:
        batch.add_visit(visit, rng, {"inventory": "logrus"}, lambda *args: json_lines.append(args))
    spans = {s.span_id: s for rs in batch.traces.resource_spans for ss in rs.scope_spans for s in ss.spans}
    assert batch.spans == len(spans) == sum(len(v.spans) for v in visits)
    for rl in batch.logs.resource_logs:
        for record in rl.scope_logs[0].log_records:
            assert spans[record.span_id].trace_id == record.trace_id
    assert json_lines and all(service == "inventory" for service, *_ in json_lines)
    services = {
        kv.value.string_value
        for rs in batch.traces.resource_spans
        for kv in rs.resource.attributes
        if kv.key == "service.name"
    }
    assert services == {"frontend", "checkout", "payments", "inventory", "email"}


def test_json_lines_in_logrus_and_zap_shapes() -> None:
    line = LogLine(1_764_561_600_123_456_789, "WARN", "slow query", {"sku_count": 2})
    logrus = json_line("inventory", line, "a" * 32, "b" * 16)
    assert logrus["level"] == "warning" and logrus["msg"] == "slow query"
    assert logrus["time"] == "2025-12-01T04:00:00.123456789Z" and logrus["trace_id"] == "a" * 32
    zap = json_line("email", line, "a" * 32, "b" * 16)
    assert zap["level"] == "warn" and zap["ts"] == pytest.approx(1_764_561_600.123456789) and "caller" in zap
    assert json.loads(json.dumps(zap))["span_id"] == "b" * 16
    header = dict(pair.split("=") for pair in resource_header("inventory").split(","))
    assert header["service.name"] == "inventory" and header["deployment.environment"] == "demo"


def test_durations_and_backfill_window() -> None:
    assert parse_duration("7d") == 7 * 86400 and parse_duration("90m") == 5400 and parse_duration("1.5h") == 5400
    for bad in ("7", "-1d", "0d", "week"):
        with pytest.raises(ConfigError, match="--backfill"):
            parse_duration(bad)
    settings = load_settings({"OTELHOUSE_RETENTION_ENABLED": "false", "OTELHOUSE_RETENTION_TRACES_HOT_DAYS": "3"})
    assert backfill_window(settings, 7 * 86400) == 3 * 86400 - 3600
    assert backfill_window(load_settings({}), 7 * 86400) == 7 * 86400


@pytest.mark.parametrize(
    ("env", "no_demo", "wanted"),
    [
        ({}, False, True),
        ({}, True, False),
        ({"OTELHOUSE_DEMO_ENABLED": "false"}, False, False),
        ({"OTELHOUSE_COLLECTOR_HTTP_ENABLED": "false"}, False, False),
        ({"OTELHOUSE_ENV": "staging"}, False, False),
        ({"OTELHOUSE_ENV": "staging", "OTELHOUSE_DEMO_ENABLED": "true"}, False, True),
    ],
)
def test_demo_is_on_in_development_and_opt_in_elsewhere(env: dict, no_demo: bool, wanted: bool) -> None:
    assert demo_wanted(load_settings(env), no_demo) is wanted


def test_progress_bar_on_a_pipe() -> None:
    out = io.StringIO()
    progress = Progress(100, "backfill", out=out, width=10)
    for done in range(0, 101, 5):
        progress.update(done, f"{done} of 100")
    progress.finish("done")
    lines = out.getvalue().splitlines()
    assert len(lines) == 12 and lines[5].startswith("backfill [#####.....]  50% 50 of 100")
    assert lines[-1].startswith("backfill [##########] 100% done")
