"""The real OpenTelemetry SDK log and metric exporters (HTTP/protobuf and gRPC) against a running collector."""

from __future__ import annotations

import time

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.metrics import Observation
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics._internal.exemplar import AlwaysOnExemplarFilter
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tests.collector.conftest import LiveCollector

RESOURCE = Resource.create({"service.name": "billing"})


def log_exporter(live: LiveCollector, protocol: str):
    if protocol == "http":
        return HttpLogExporter(endpoint=f"{live.http_url}/v1/logs")
    return GrpcLogExporter(endpoint=live.grpc_target, insecure=True)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_logs_with_and_without_trace_context(live: LiveCollector, protocol: str) -> None:
    provider = LoggerProvider(resource=RESOURCE)
    provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter(live, protocol)))
    logger = provider.get_logger("billing.invoices", "0.9")
    tracer = TracerProvider(resource=RESOURCE).get_tracer("t")
    now = time.time_ns()
    logger.emit(
        timestamp=now,
        observed_timestamp=now + 5,
        severity_number=SeverityNumber.WARN,
        severity_text="WARN",
        body="invoice overdue",
        attributes={"invoice.id": "inv-1", "amount": 12.5, "retries": 3, "paid": False},
    )
    with tracer.start_as_current_span("charge") as span:
        ctx = span.get_span_context()
        logger.emit(
            timestamp=now + 1000,
            severity_number=SeverityNumber.ERROR,
            severity_text="ERROR",
            body={"event": "charge.failed", "code": 402},
            event_name="payment.failure",
        )
    logger.emit(observed_timestamp=now + 2000, severity_number=SeverityNumber.INFO, body="no timestamp")
    provider.shutdown()

    rows = live.query(
        "SELECT toUnixTimestamp64Nano(Timestamp), TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, "
        "ServiceName, Body, ResourceAttributes['service.name'], ScopeName, ScopeVersion, LogAttributes, EventName "
        "FROM {db}.otel_logs ORDER BY Timestamp"
    )
    assert len(rows) == 3
    plain, traced, untimed = rows
    assert plain[0] == now
    assert (plain[1], plain[2], plain[3]) == ("", "", 0)
    assert (plain[4], plain[5], plain[6], plain[7]) == ("WARN", 13, "billing", "invoice overdue")
    assert (plain[8], plain[9], plain[10]) == ("billing", "billing.invoices", "0.9")
    assert plain[11] == {"invoice.id": "inv-1", "amount": "12.5", "retries": "3", "paid": "false"}
    assert traced[1] == f"{ctx.trace_id:032x}" and traced[2] == f"{ctx.span_id:016x}"
    assert traced[3] & 1 == 1  # sampled (the SDK may also set W3C level-2 "random" bit 0x02)
    assert (traced[4], traced[5]) == ("ERROR", 17)
    assert traced[7] == '{"code":402,"event":"charge.failed"}' or traced[7] == '{"event":"charge.failed","code":402}'
    assert traced[12] == "payment.failure"
    # no event time: the observed time stands in
    assert untimed[0] == now + 2000 and untimed[7] == "no timestamp"


def metric_exporter(live: LiveCollector, protocol: str):
    temporality = {}
    if protocol == "http":
        return HttpMetricExporter(endpoint=f"{live.http_url}/v1/metrics", preferred_temporality=temporality)
    return GrpcMetricExporter(endpoint=live.grpc_target, insecure=True, preferred_temporality=temporality)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_every_sdk_metric_kind_is_stored(live: LiveCollector, protocol: str) -> None:
    reader = PeriodicExportingMetricReader(metric_exporter(live, protocol), export_interval_millis=3_600_000)
    provider = MeterProvider(
        resource=RESOURCE,
        metric_readers=[reader],
        views=[View(instrument_name="payload.size", aggregation=ExponentialBucketHistogramAggregation())],
        exemplar_filter=AlwaysOnExemplarFilter(),
    )
    meter = provider.get_meter("billing.meters", "2.0")
    tracer = TracerProvider(resource=RESOURCE).get_tracer("t")
    requests = meter.create_counter("requests", unit="1", description="requests served")
    queue = meter.create_up_down_counter("queue.depth")
    latency = meter.create_histogram("latency", unit="ms")
    size = meter.create_histogram("payload.size", unit="By")
    meter.create_observable_gauge("temperature", callbacks=[lambda _o: [Observation(21.5, {"room": "a"})]])
    with tracer.start_as_current_span("work") as span:
        ctx = span.get_span_context()
        requests.add(5, {"route": "/pay", "ok": True})
        requests.add(2, {"route": "/pay", "ok": True})
        latency.record(12.0, {"route": "/pay"})
        latency.record(250.0, {"route": "/pay"})
    queue.add(4)
    queue.add(-1)
    for value in (1, 2, 4, 1024):
        size.record(value)
    provider.shutdown()  # one final collection and export

    s = live.query(
        "SELECT MetricName, MetricDescription, MetricUnit, Attributes, Value, IsMonotonic, AggregationTemporality, "
        "ScopeName, ScopeVersion, ServiceName, Exemplars.TraceId, Exemplars.SpanId, Exemplars.Value "
        "FROM {db}.otel_metrics_sum ORDER BY MetricName"
    )
    assert [r[0] for r in s] == ["queue.depth", "requests"]
    queue_row, req_row = s
    assert (queue_row[4], queue_row[5], queue_row[6]) == (3.0, False, 2)
    assert req_row[1:7] == ("requests served", "1", {"ok": "true", "route": "/pay"}, 7.0, True, 2)
    assert req_row[7:10] == ("billing.meters", "2.0", "billing")
    assert f"{ctx.trace_id:032x}" in req_row[10] and f"{ctx.span_id:016x}" in req_row[11]

    g = live.query("SELECT MetricName, Attributes, Value FROM {db}.otel_metrics_gauge")
    assert g == [("temperature", {"room": "a"}, 21.5)]

    h = live.query(
        "SELECT Count, Sum, Min, Max, BucketCounts, ExplicitBounds, AggregationTemporality, length(Exemplars.Value) "
        "FROM {db}.otel_metrics_histogram WHERE MetricName = 'latency'"
    )
    assert len(h) == 1
    count, total, low, high, buckets, bounds, temporality, exemplars = h[0]
    assert (count, total, low, high, temporality) == (2, 262.0, 12.0, 250.0, 2)
    assert bounds[:3] == [0.0, 5.0, 10.0] and len(buckets) == len(bounds) + 1 and sum(buckets) == 2
    assert exemplars >= 1

    e = live.query(
        "SELECT Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeBucketCounts, Min, Max "
        "FROM {db}.otel_metrics_exponential_histogram WHERE MetricName = 'payload.size'"
    )
    assert len(e) == 1
    count, total, scale, zero, offset, positive, negative, low, high = e[0]
    assert (count, total, zero, low, high) == (4, 1031.0, 0, 1.0, 1024.0)
    assert sum(positive) == 4 and sum(negative) == 0
    # the last bucket in use holds 1024: index = ceil(log2(1024) * 2^scale) - 1
    last = max(i for i, n in enumerate(positive) if n)
    assert offset + last == int(10 * 2**scale) - 1


def test_delta_temporality_is_kept(live: LiveCollector) -> None:
    from opentelemetry.sdk.metrics import Counter

    exporter = HttpMetricExporter(
        endpoint=f"{live.http_url}/v1/metrics", preferred_temporality={Counter: AggregationTemporality.DELTA}
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    provider.get_meter("m").create_counter("jobs").add(3)
    provider.shutdown()
    assert live.query("SELECT Value, AggregationTemporality FROM {db}.otel_metrics_sum") == [(3.0, 1)]
