"""OTLP protobuf requests built directly (opentelemetry-proto), for telemetry with past timestamps.

The SDK stamps metric points with the time of export and cannot be told otherwise, so the backfill
builds requests itself: spans and log records from visit plans, metric points from one-minute sums.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from dataclasses import dataclass, field

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lpb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as mpb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

from demo.identity import SCOPE, resource_attributes
from demo.measure import DURATION_BOUNDS, INSTRUMENTS, Measurement
from demo.model import Visit

SPAN_KINDS = {"internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}
SEVERITY_NUMBERS = {"DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17}
DELTA = 1  # AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA


def set_attributes(target, values: dict) -> None:
    """Append values to a repeated KeyValue field, choosing the AnyValue kind by Python type."""
    for key, value in values.items():
        kv = target.add(key=key)
        if isinstance(value, bool):
            kv.value.bool_value = value
        elif isinstance(value, int):
            kv.value.int_value = value
        elif isinstance(value, float):
            kv.value.double_value = value
        else:
            kv.value.string_value = str(value)


def _scoped(request_items, service: str, cache: dict):
    """Return the scope container of `service` in a request, adding resource and scope on first use."""
    if service not in cache:
        item = request_items.add()
        set_attributes(item.resource.attributes, resource_attributes(service))
        scoped = getattr(item, next(f.name for f in item.DESCRIPTOR.fields if f.name.startswith("scope_"))).add()
        scoped.scope.name, scoped.scope.version = SCOPE
        cache[service] = scoped
    return cache[service]


@dataclass
class SignalBatch:
    """Spans and OTel log records of many visits, grouped by service, ready to serialize."""

    traces: tpb.ExportTraceServiceRequest = field(default_factory=tpb.ExportTraceServiceRequest)
    logs: lpb.ExportLogsServiceRequest = field(default_factory=lpb.ExportLogsServiceRequest)
    spans: int = 0
    records: int = 0
    _span_scopes: dict = field(default_factory=dict)
    _log_scopes: dict = field(default_factory=dict)

    def add_visit(self, visit: Visit, rng: random.Random, json_services, on_json_line) -> None:
        """Add a visit's spans and logs; lines of JSON-logging services go to on_json_line instead."""
        trace_id = rng.randbytes(16)
        span_ids = [rng.randbytes(8) for _ in visit.spans]
        for plan, span_id in zip(visit.spans, span_ids, strict=True):
            scope = _scoped(self.traces.resource_spans, plan.service, self._span_scopes)
            span = scope.spans.add(
                trace_id=trace_id,
                span_id=span_id,
                name=plan.name,
                kind=SPAN_KINDS[plan.kind],
                start_time_unix_nano=plan.start_ns,
                end_time_unix_nano=plan.end_ns,
            )
            if plan.parent is not None:
                span.parent_span_id = span_ids[plan.parent]
            set_attributes(span.attributes, plan.attributes)
            if plan.error:
                span.status.code, span.status.message = 2, plan.error
                if plan.exception:
                    event = span.events.add(time_unix_nano=plan.end_ns, name="exception")
                    set_attributes(
                        event.attributes, {"exception.type": plan.exception, "exception.message": plan.error}
                    )
            self.spans += 1
            for line in plan.logs:
                if plan.service in json_services:
                    on_json_line(plan.service, line, trace_id.hex(), span_id.hex())
                    continue
                scope = _scoped(self.logs.resource_logs, plan.service, self._log_scopes)
                record = scope.log_records.add(
                    time_unix_nano=line.time_ns,
                    observed_time_unix_nano=line.time_ns,
                    severity_number=SEVERITY_NUMBERS[line.severity],
                    severity_text=line.severity,
                    trace_id=trace_id,
                    span_id=span_id,
                    flags=1,
                )
                record.body.string_value = line.body
                set_attributes(record.attributes, line.attributes)
                self.records += 1


class MinuteMetrics:
    """Sum measurements over one window into delta points (counters, histograms) and last values (gauges)."""

    def __init__(self, start_ns: int, end_ns: int) -> None:
        self.start_ns, self.end_ns = start_ns, end_ns
        self.values: dict[tuple, list] = defaultdict(lambda: [0.0, [0] * (len(DURATION_BOUNDS) + 1), 0])

    def add(self, m: Measurement) -> None:
        """Fold one measurement into its series."""
        acc = self.values[(m.service, m.name, m.attributes)]
        if INSTRUMENTS[m.name].kind == "gauge":
            acc[0] = m.value
            return
        acc[0] += m.value
        acc[2] += 1
        if INSTRUMENTS[m.name].kind == "histogram":
            acc[1][bisect.bisect_left(DURATION_BOUNDS, m.value)] += 1

    def write(self, request: mpb.ExportMetricsServiceRequest, scopes: dict) -> int:
        """Append this window's points to a request (scopes caches service -> ScopeMetrics); return the count."""
        metrics: dict[tuple[str, str], object] = {}
        for (service, name, attrs), (value, buckets, count) in sorted(self.values.items(), key=repr):
            spec = INSTRUMENTS[name]
            key = (service, name)
            if key not in metrics:
                metric = _scoped(request.resource_metrics, service, scopes).metrics.add(
                    name=name, unit=spec.unit, description=spec.description
                )
                if spec.kind == "counter":
                    metric.sum.aggregation_temporality, metric.sum.is_monotonic = DELTA, True
                elif spec.kind == "histogram":
                    metric.histogram.aggregation_temporality = DELTA
                metrics[key] = metric
            metric = metrics[key]
            if spec.kind == "counter":
                point = metric.sum.data_points.add(as_double=value)
            elif spec.kind == "histogram":
                point = metric.histogram.data_points.add(count=count, sum=value)
                point.bucket_counts.extend(buckets)
                point.explicit_bounds.extend(DURATION_BOUNDS)
            else:
                point = metric.gauge.data_points.add(as_double=value)
            point.time_unix_nano = self.end_ns
            if spec.kind != "gauge":
                point.start_time_unix_nano = self.start_ns
            set_attributes(point.attributes, dict(attrs))
        return len(self.values)
