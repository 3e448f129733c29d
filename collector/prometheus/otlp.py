"""Encode Prometheus series as an OTLP ExportMetricsServiceRequest, byte by byte.

Building upb message objects point by point costs more than the rest of a remote_write request;
writing the protobuf wire format directly (labels encoded once per series, then one short byte
string per sample) keeps the per-sample cost to a struct.pack. Field numbers follow
opentelemetry/proto/metrics/v1/metrics.proto; tests parse the output with the official classes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from storage.wire import encode_varint

# AggregationTemporality CUMULATIVE: Prometheus counters, histograms and summaries all are.
CUMULATIVE = 2
# DataPointFlags FLAG_NO_RECORDED_VALUE: a Prometheus staleness marker (the series ended).
NO_RECORDED_VALUE = 1
STALE_NAN_BITS = 0x7FF0000000000002
SCOPE_NAME = "otelhouse/prometheus"

_DOUBLE = struct.Struct("<d")
_FIXED64 = struct.Struct("<Q")


def is_stale(value: float) -> bool:
    """Whether a value is Prometheus' staleness marker (one specific NaN)."""
    return value != value and _FIXED64.unpack(_DOUBLE.pack(value))[0] == STALE_NAN_BITS


# tags and lengths are almost always under 16 KiB: look them up instead of looping per call
_VARINTS = [encode_varint(n) for n in range(1 << 14)]


def varint(n: int) -> bytes:
    return _VARINTS[n] if n < 16384 else encode_varint(n)


def _len_field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _str_field(number: int, text: str) -> bytes:
    return _len_field(number, text.encode()) if text else b""


def _fixed64(number: int, n: int) -> bytes:
    return varint(number << 3 | 1) + _FIXED64.pack(n)


def _double(number: int, x: float) -> bytes:
    return varint(number << 3 | 1) + _DOUBLE.pack(x)


def attributes(number: int, labels: Mapping[str, str]) -> bytes:
    """KeyValue attributes (string values, keys sorted) as repeated field `number`."""
    return b"".join(
        _len_field(number, _str_field(1, k) + _len_field(2, _str_field(1, v))) for k, v in sorted(labels.items())
    )


def _flags(number: int, flags: int) -> bytes:
    return varint(number << 3) + varint(flags) if flags else b""


# After a series' constant prefix (see number_prefix): time_unix_nano, the as_double tag, the value.
POINT_TAIL = struct.Struct("<QBd")
AS_DOUBLE_TAG = 4 << 3 | 1


def number_prefix(attrs: bytes) -> bytes:
    """The bytes every NumberDataPoint of a series starts with (no start time, no flags): the hot path."""
    return b"\x0a" + varint(len(attrs) + 18) + attrs + b"\x19"


def number_point(attrs: bytes, time_ns: int, value: float, start_ns: int = 0) -> bytes:
    """A NumberDataPoint; `attrs` from attributes(7, ...). A stale marker gets NO_RECORDED_VALUE."""
    if not start_ns and value == value:
        return number_prefix(attrs) + POINT_TAIL.pack(time_ns, AS_DOUBLE_TAG, value)
    flags = NO_RECORDED_VALUE if value != value and is_stale(value) else 0
    start = _fixed64(2, start_ns) if start_ns else b""
    return _len_field(1, attrs + start + _fixed64(3, time_ns) + _double(4, value) + _flags(8, flags))


def histogram_point(
    attrs: bytes,
    time_ns: int,
    count: int,
    total: float | None,
    bounds: list[float],
    counts: list[int],
    start_ns: int = 0,
    flags: int = 0,
) -> bytes:
    """A HistogramDataPoint; `attrs` from attributes(9, ...), `counts` per bucket (not cumulative)."""
    body = attrs + (_fixed64(2, start_ns) if start_ns else b"") + _fixed64(3, time_ns) + _fixed64(4, count)
    if total is not None:
        body += _double(5, total)
    body += _len_field(6, b"".join(_FIXED64.pack(c) for c in counts))
    if bounds:
        body += _len_field(7, b"".join(_DOUBLE.pack(b) for b in bounds))
    return _len_field(1, body + _flags(10, flags))


def summary_point(
    attrs: bytes,
    time_ns: int,
    count: int,
    total: float,
    quantiles: list[tuple[float, float]],
    start_ns: int = 0,
    flags: int = 0,
) -> bytes:
    """A SummaryDataPoint; `attrs` from attributes(7, ...)."""
    body = attrs + (_fixed64(2, start_ns) if start_ns else b"") + _fixed64(3, time_ns) + _fixed64(4, count)
    body += _double(5, total)
    body += b"".join(_len_field(6, _double(1, q) + _double(2, v)) for q, v in quantiles)
    return _len_field(1, body + _flags(8, flags))


# Metric's oneof field numbers, and what the data message carries besides its points.
GAUGE, SUM, HISTOGRAM, SUMMARY = "gauge", "sum", "histogram", "summary"
_KIND = {
    GAUGE: (5, b""),
    SUM: (7, varint(2 << 3) + varint(CUMULATIVE) + varint(3 << 3) + varint(1)),
    HISTOGRAM: (9, varint(2 << 3) + varint(CUMULATIVE)),
    SUMMARY: (11, b""),
}


@dataclass
class MetricOut:
    """One OTLP Metric being filled: its name, kind, HELP and UNIT, and encoded points."""

    name: str
    kind: str
    description: str = ""
    unit: str = ""
    points: list[bytes] = field(default_factory=list)

    def encode(self) -> bytes:
        number, extra = _KIND[self.kind]
        data = _len_field(number, b"".join(self.points) + extra)
        return _len_field(
            2, _str_field(1, self.name) + _str_field(2, self.description) + _str_field(3, self.unit) + data
        )


def resource_metrics(resource: Mapping[str, str], metrics: Iterable[MetricOut]) -> bytes:
    """A ResourceMetrics entry (field 1 of the request) with one scope holding `metrics`."""
    scope = _len_field(1, _str_field(1, SCOPE_NAME))
    body = b"".join(m.encode() for m in metrics if m.points)
    return _len_field(1, _len_field(1, attributes(1, resource)) + _len_field(2, scope + body))


# Key of one stored series: metric name, OTLP kind, point attributes (sorted).
SeriesKey = tuple[str, str, tuple[tuple[str, str], ...]]
# Prometheus' job and instance labels become these resource attributes (as the OTel receivers do).
RESOURCE_KEYS = ("service.name", "service.instance.id")


class Builder:
    """Collects points per resource and metric, and remembers each series for staleness."""

    def __init__(self) -> None:
        self.resources: dict[tuple[str, str], dict[tuple[str, str], MetricOut]] = {}
        self.seen: dict[SeriesKey, tuple[tuple[str, str], str, str]] = {}  # -> resource, help, unit

    def series(self, name: str, kind: str, labels: dict[str, str], help_: str = "", unit: str = "", track=True):
        """Register the series `labels` (job/instance included): the point list to append to, its attributes.

        `track`: remember it in `seen` (scrapes need that for staleness; remote_write does not)."""
        resource = (labels.pop("job", ""), labels.pop("instance", ""))
        metric = self.resources.setdefault(resource, {}).get((name, kind))
        if metric is None:
            metric = self.resources[resource][(name, kind)] = MetricOut(name, kind, help_, unit)
        if track:
            self.seen[(name, kind, tuple(sorted(labels.items())))] = (resource, help_, unit)
        return metric.points, attributes(9 if kind == HISTOGRAM else 7, labels)

    def encode(self) -> bytes:
        """The ExportMetricsServiceRequest body."""
        return b"".join(
            resource_metrics(
                {key: value for key, value in zip(RESOURCE_KEYS, resource, strict=True) if value},
                metrics.values(),
            )
            for resource, metrics in self.resources.items()
        )
