"""Metric data points to the five otel_metrics_* tables' columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from storage.rows.attributes import attributes, hex_id, nanos

COMMON = (
    "ResourceAttributes", "ResourceSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes",
    "ScopeDroppedAttrCount", "ScopeSchemaUrl", "ServiceName", "MetricName", "MetricDescription",
    "MetricUnit", "Attributes", "StartTimeUnix", "TimeUnix", "Flags",
)  # fmt: skip
EXEMPLARS = (
    "Exemplars.FilteredAttributes", "Exemplars.TimeUnix", "Exemplars.Value", "Exemplars.SpanId",
    "Exemplars.TraceId",
)  # fmt: skip
KIND_COLUMNS = {
    "gauge": ("Value", *EXEMPLARS),
    "sum": ("Value", *EXEMPLARS, "AggregationTemporality", "IsMonotonic"),
    "histogram": (
        "Count", "Sum", "BucketCounts", "ExplicitBounds", *EXEMPLARS, "Min", "Max", "AggregationTemporality",
    ),
    "exponential_histogram": (
        "Count", "Sum", "Scale", "ZeroCount", "PositiveOffset", "PositiveBucketCounts", "NegativeOffset",
        "NegativeBucketCounts", *EXEMPLARS, "Min", "Max", "AggregationTemporality",
    ),
    "summary": ("Count", "Sum", "ValueAtQuantiles.Quantile", "ValueAtQuantiles.Value"),
}  # fmt: skip


def _number(p: Any) -> float:
    """Return a NumberDataPoint's or Exemplar's value as Float64 (ints converted, unset 0)."""
    return p.as_double if p.WhichOneof("value") != "as_int" else float(p.as_int)


def _exemplars(p: Any) -> tuple:
    xs = p.exemplars
    return (
        [attributes(x.filtered_attributes) for x in xs], [nanos(x.time_unix_nano) for x in xs],
        [_number(x) for x in xs], [hex_id(x.span_id) for x in xs], [hex_id(x.trace_id) for x in xs],
    )  # fmt: skip


def _gauge(p: Any, data: Any) -> tuple:
    return (_number(p), *_exemplars(p))


def _sum(p: Any, data: Any) -> tuple:
    return (_number(p), *_exemplars(p), data.aggregation_temporality, data.is_monotonic)


def _histogram(p: Any, data: Any) -> tuple:
    return (
        p.count, p.sum, list(p.bucket_counts), list(p.explicit_bounds), *_exemplars(p), p.min, p.max,
        data.aggregation_temporality,
    )  # fmt: skip


def _exponential_histogram(p: Any, data: Any) -> tuple:
    pos, neg = p.positive, p.negative
    return (
        p.count, p.sum, p.scale, p.zero_count, pos.offset, list(pos.bucket_counts), neg.offset,
        list(neg.bucket_counts), *_exemplars(p), p.min, p.max, data.aggregation_temporality,
    )  # fmt: skip


def _summary(p: Any, data: Any) -> tuple:
    qs = p.quantile_values
    return (p.count, p.sum, [q.quantile for q in qs], [q.value for q in qs])


_KIND_VALUES: dict[str, Callable[[Any, Any], tuple]] = {
    "gauge": _gauge,
    "sum": _sum,
    "histogram": _histogram,
    "exponential_histogram": _exponential_histogram,
    "summary": _summary,
}


def metric_tables(bodies: list[bytes]) -> dict[str, dict[str, list]]:
    """Build the columns of each otel_metrics_* table from serialized ExportMetricsServiceRequests."""
    request = ExportMetricsServiceRequest()
    request.ParseFromString(b"".join(bodies))  # concatenated requests merge into one
    rows: dict[str, list[tuple]] = {kind: [] for kind in KIND_COLUMNS}
    for rm in request.resource_metrics:
        resource = attributes(rm.resource.attributes)
        service = resource.get("service.name", "")
        for sm in rm.scope_metrics:
            scope = sm.scope
            scope_part = (
                resource, rm.schema_url, scope.name, scope.version, attributes(scope.attributes),
                scope.dropped_attributes_count, sm.schema_url, service,
            )  # fmt: skip
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                if kind is None:
                    continue
                data = getattr(m, kind)
                values, out = _KIND_VALUES[kind], rows[kind]
                for p in data.data_points:
                    out.append((
                        *scope_part, m.name, m.description, m.unit, attributes(p.attributes),
                        nanos(p.start_time_unix_nano), nanos(p.time_unix_nano), p.flags, *values(p, data),
                    ))  # fmt: skip
    tables = {}
    for kind, kind_rows in rows.items():
        names = (*COMMON, *KIND_COLUMNS[kind])
        columns = [list(c) for c in zip(*kind_rows, strict=True)] if kind_rows else [[] for _ in names]
        tables[f"otel_metrics_{kind}"] = dict(zip(names, columns, strict=True))
    return tables
