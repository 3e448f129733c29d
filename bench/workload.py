"""Realistic OTLP requests for the benchmarks: spans, log records and metric points."""

from __future__ import annotations

import os
import random
import time

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lpb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as mpb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

SERVICES = ("checkout", "cart", "payments", "search", "frontend")
ROUTES = ("/api/cart", "/api/pay", "/api/search", "/api/items/{id}", "/healthz")


def _attrs(target, values: dict) -> None:
    for key, value in values.items():
        kv = target.add(key=key)
        if isinstance(value, bool):
            kv.value.bool_value = value
        elif isinstance(value, int):
            kv.value.int_value = value
        elif isinstance(value, float):
            kv.value.double_value = value
        else:
            kv.value.string_value = value


def _resource(rs, service: str) -> None:
    _attrs(
        rs.resource.attributes,
        {"service.name": service, "service.version": "1.4.2", "host.name": f"{service}-7d9f", "k8s.pod.uid": "a1b2"},
    )


def trace_request(spans: int, rng: random.Random) -> tpb.ExportTraceServiceRequest:
    """A request of `spans` spans in traces of 10, with ~8 attributes and an event on some."""
    req = tpb.ExportTraceServiceRequest()
    now = time.time_ns()
    per_service = max(1, spans // len(SERVICES))
    for service in SERVICES:
        rs = req.resource_spans.add()
        _resource(rs, service)
        ss = rs.scope_spans.add()
        ss.scope.name, ss.scope.version = "io.opentelemetry.http", "2.1.0"
        trace_id = b""
        for i in range(per_service):
            if i % 10 == 0:
                trace_id = rng.randbytes(16)
            span = ss.spans.add(trace_id=trace_id, span_id=rng.randbytes(8), name=rng.choice(ROUTES))
            if i % 10:
                span.parent_span_id = rng.randbytes(8)
            span.kind = 2 if i % 10 == 0 else 3
            span.start_time_unix_nano = now - rng.randrange(10**9)
            span.end_time_unix_nano = span.start_time_unix_nano + rng.randrange(10**4, 10**8)
            _attrs(
                span.attributes,
                {
                    "http.request.method": "GET",
                    "http.route": span.name,
                    "http.response.status_code": 200 if i % 17 else 500,
                    "url.scheme": "https",
                    "server.address": "api.internal",
                    "user_agent.original": "Mozilla/5.0",
                    "net.peer.port": 443,
                    "sampled": True,
                },
            )
            if i % 17 == 0:
                span.status.code = 2
                span.status.message = "upstream timeout"
                event = span.events.add(time_unix_nano=span.end_time_unix_nano, name="exception")
                _attrs(event.attributes, {"exception.type": "TimeoutError", "exception.message": "deadline"})
    return req


def log_request(records: int, rng: random.Random) -> lpb.ExportLogsServiceRequest:
    """A request of `records` log records with ~5 attributes, a third of them with trace context."""
    req = lpb.ExportLogsServiceRequest()
    now = time.time_ns()
    per_service = max(1, records // len(SERVICES))
    levels = ((9, "INFO"), (9, "INFO"), (5, "DEBUG"), (13, "WARN"), (17, "ERROR"))
    for service in SERVICES:
        rl = req.resource_logs.add()
        _resource(rl, service)
        sl = rl.scope_logs.add()
        sl.scope.name = "logrus"
        for i in range(per_service):
            number, text = rng.choice(levels)
            rec = sl.log_records.add(time_unix_nano=now - rng.randrange(10**9), severity_number=number)
            rec.severity_text = text
            rec.body.string_value = (
                f"order {rng.randrange(10**6)} processed in {rng.randrange(500)} ms for tenant t{i % 13}"
            )
            if i % 3 == 0:
                rec.trace_id, rec.span_id, rec.flags = rng.randbytes(16), rng.randbytes(8), 1
            _attrs(
                rec.attributes,
                {
                    "tenant": f"t{i % 13}",
                    "order.id": rng.randrange(10**6),
                    "component": "worker",
                    "retry": i % 4,
                    "region": "eu-west-1",
                },
            )
    return req


def metric_request(points: int, rng: random.Random) -> mpb.ExportMetricsServiceRequest:
    """A request of `points` data points: gauges, cumulative sums and histograms with 3 attributes."""
    req = mpb.ExportMetricsServiceRequest()
    now = time.time_ns()
    per_service = max(3, points // len(SERVICES))
    for service in SERVICES:
        rm = req.resource_metrics.add()
        _resource(rm, service)
        sm = rm.scope_metrics.add()
        sm.scope.name = "io.opentelemetry.runtime"
        third = per_service // 3
        gauge = sm.metrics.add(name="process.memory.usage", unit="By")
        total = sm.metrics.add(name="http.server.requests", unit="1")
        total.sum.aggregation_temporality, total.sum.is_monotonic = 2, True
        hist = sm.metrics.add(name="http.server.duration", unit="ms")
        hist.histogram.aggregation_temporality = 2
        bounds = [5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0]
        for i in range(third):
            labels = {"http.route": ROUTES[i % len(ROUTES)], "instance": f"i{i}", "zone": "a"}
            g = gauge.gauge.data_points.add(time_unix_nano=now, as_double=rng.random() * 1e9)
            _attrs(g.attributes, labels)
            s = total.sum.data_points.add(start_time_unix_nano=now - 10**10, time_unix_nano=now, as_int=i * 7)
            _attrs(s.attributes, labels)
            counts = [rng.randrange(100) for _ in range(len(bounds) + 1)]
            h = hist.histogram.data_points.add(
                start_time_unix_nano=now - 10**10, time_unix_nano=now, count=sum(counts), sum=rng.random() * 1e4
            )
            h.bucket_counts.extend(counts)
            h.explicit_bounds.extend(bounds)
            _attrs(h.attributes, labels)
    return req


BUILDERS = {"traces": trace_request, "logs": log_request, "metrics": metric_request}


def item_count(signal: str, req) -> int:
    """Count spans, log records or data points in a request."""
    if signal == "traces":
        return sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
    if signal == "logs":
        return sum(len(sl.log_records) for rl in req.resource_logs for sl in rl.scope_logs)
    total = 0
    for rm in req.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                total += len(getattr(m, kind).data_points)
    return total


def bodies(signal: str, items_per_request: int, count: int, seed: int | None = None) -> list[tuple[bytes, int]]:
    """Serialized distinct requests with their item counts."""
    rng = random.Random(seed if seed is not None else os.getpid())
    out = []
    for _ in range(count):
        req = BUILDERS[signal](items_per_request, rng)
        out.append((req.SerializeToString(), item_count(signal, req)))
    return out
