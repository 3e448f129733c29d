"""The remote-write fast path: ClickHouse decodes the WriteRequest itself (storage route PROMETHEUS).

The collector parses the request once (upb, C speed) to answer 400 for what it cannot read, and walks
its series (not its samples) to decide what only it knows: each series' OTLP kind, HELP and UNIT
from the metadata cache (the rule in remote_write.series_kind). The decompressed WriteRequest goes
into the write-ahead log as it came, followed by a trailer of fields prompb does not use, which a
protobuf parser merges into the same message (storage/proto/prompb.proto):

- 1000, 1001: the accepted sample timestamps [low, high] in ms when the request arrived (retention
  window), so a replay filters exactly as the acceptance did;
- 1002: one SeriesKind (name, kind, help, unit) per distinct metric name in the request.

The view (storage/sql/0044_prom_write_mv.sql) then renders the rows the Python mapping (remote_write.to_otlp)
renders. A request goes the Python way instead when a check that path makes per series could fail:
a series without `__name__` as its first label, with more labels than collector.max_attributes_per_item
allows, or whose first or last sample lies outside the window (the Python path then counts exactly
what it leaves out). A sample inside a series that is out of the window while both ends are in is
still left out (by the view), but not counted as rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.otlp.limits import Limits
from collector.otlp.model import InvalidRequest, Signal
from collector.prometheus import otlp
from collector.prometheus.otlp import varint
from collector.prometheus.remote_write import MetadataCache, parse, series_kind

# the kinds the view stores, as otlp_metrics_points.Kind numbers them
KIND_CODES = {otlp.GAUGE: 1, otlp.SUM: 2}
LOW_FIELD, HIGH_FIELD, KINDS_FIELD = 1000, 1001, 1002
_NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Direct:
    """A WAL body for the PROMETHEUS route and the samples it holds."""

    body: bytes
    samples: int


def _int_field(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value & 0xFFFFFFFFFFFFFFFF)


def _str(number: int, text: str) -> bytes:
    data = text.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data if data else b""


def series_kind_entry(name: str, kind: str, help_: str, unit: str) -> bytes:
    """One SeriesKind message as field KINDS_FIELD of the trailer."""
    body = _str(1, name) + _int_field(2, KIND_CODES[kind]) + _str(3, help_) + _str(4, unit)
    return varint(KINDS_FIELD << 3 | 2) + varint(len(body)) + body


def window_ms(limits: Limits, now_ns: int | None = None) -> tuple[int, int]:
    """The accepted sample timestamps in ms: those whose ns value lies inside limits.window."""
    low, high = limits.window(Signal.METRICS, now_ns)
    return -(-low // _NS_PER_MS), high // _NS_PER_MS


def prepare(data: bytes, cache: MetadataCache, limits: Limits, now_ns: int | None = None) -> Direct | None:
    """The PROMETHEUS-route body for a decompressed WriteRequest, or None when only Python can map it.

    Raises InvalidRequest for what cannot be parsed or holds more samples than allowed.
    """
    request = parse(data)
    total = sum(len(ts.samples) for ts in request.timeseries)
    if total > limits.max_items:
        raise InvalidRequest(
            f"{total} samples in one request, more than collector.max_items_per_request ({limits.max_items})"
        )
    cache.learn(request)
    low, high = window_ms(limits, now_ns)
    max_labels = limits.max_attributes + 3  # job, instance and __name__ are not point attributes
    kinds: dict[str, bytes] = {}
    samples = 0
    for ts in request.timeseries:
        labels, points = ts.labels, ts.samples
        if not points:
            continue
        if len(labels) > max_labels:
            return None
        first = labels[0] if labels else None
        if first is None or first.name != "__name__" or not first.value:
            return None
        if not (low <= points[0].timestamp <= high and low <= points[-1].timestamp <= high):
            return None
        samples += len(points)
        name = first.value
        if name not in kinds:
            meta, suffixed = cache.lookup(name)
            extra = (meta.help, meta.unit) if meta else ("", "")
            kinds[name] = series_kind_entry(name, series_kind(name, meta, suffixed), *extra)
    trailer = _int_field(LOW_FIELD, low) + _int_field(HIGH_FIELD, high) + b"".join(kinds.values())
    return Direct(data + trailer, samples)
