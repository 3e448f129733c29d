"""Prometheus remote-write 1.0: snappy-compressed WriteRequest protobuf -> OTLP metrics.

Each Prometheus series becomes OTLP data points of its own name, so a stored sample is Prometheus'
sample, series and timestamp unchanged (values are copied as 8 binary bytes, never printed):
- `job` and `instance` become the resource's `service.name` and `service.instance.id`, as the
  OpenTelemetry Collector's Prometheus receivers do; the other labels become point attributes.
- The type comes from metadata when the sender has sent it (remembered across requests, since
  Prometheus sends metadata in requests of its own): counters, and the `_bucket`/`_sum`/`_count`
  series of histograms and summaries, become monotonic cumulative sums; everything else a gauge.
  Without metadata, the naming convention decides: a name ending in `_total`, `_bucket`, `_sum`
  or `_count` is a monotonic cumulative sum, any other a gauge.
- A staleness marker is stored as a point flagged FLAG_NO_RECORDED_VALUE.
Remote-write spreads one histogram's series over several requests, so a classic histogram is kept
as its `_bucket`/`_sum`/`_count` series (what PromQL reads) rather than reassembled.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import cramjam
from google.protobuf.message import DecodeError

from collector.converted import Converted
from collector.otlp.decode import DEFAULT_LIMITS
from collector.otlp.limits import Limits
from collector.otlp.model import InvalidRequest, Signal
from collector.prometheus import otlp
from collector.prometheus.prompb import WriteRequest

COUNTER, GAUGE, HISTOGRAM, GAUGEHISTOGRAM, SUMMARY = 1, 2, 3, 4, 5
COUNTER_SUFFIXES = ("_total", "_bucket", "_sum", "_count")
_FAMILY_SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


@dataclass(frozen=True, slots=True)
class Meta:
    """What a metadata entry says about a metric family."""

    type: int
    help: str = ""
    unit: str = ""


class MetadataCache:
    """Family name -> Meta, the most recent `limit` families (metadata arrives in its own requests)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.entries: OrderedDict[str, Meta] = OrderedDict()

    def learn(self, request) -> None:
        for m in request.metadata:
            if m.metric_family_name:
                self.entries[m.metric_family_name] = Meta(m.type, m.help, m.unit)
                self.entries.move_to_end(m.metric_family_name)
        while len(self.entries) > self.limit:
            self.entries.popitem(last=False)

    def lookup(self, name: str) -> tuple[Meta | None, bool]:
        """The family's metadata, and whether `name` is a suffixed series of it (`_bucket` ...)."""
        if (meta := self.entries.get(name)) is not None:
            return meta, False
        for suffix in _FAMILY_SUFFIXES:
            if name.endswith(suffix) and (meta := self.entries.get(name[: -len(suffix)])) is not None:
                return meta, True
        return None, False


def series_kind(name: str, meta: Meta | None, suffixed: bool) -> str:
    """The OTLP kind (otlp.SUM or otlp.GAUGE) a series of this name is stored as."""
    if meta is None:
        return otlp.SUM if name.endswith(COUNTER_SUFFIXES) else otlp.GAUGE
    if meta.type == COUNTER or (meta.type in (HISTOGRAM, SUMMARY) and suffixed):
        return otlp.SUM
    return otlp.GAUGE


def read_body(body: bytes, limit: int) -> bytes:
    """Undo remote-write's snappy block compression, refusing more than `limit` bytes."""
    try:
        size = cramjam.snappy.decompress_raw_len(body)
    except Exception:
        raise InvalidRequest("body is not snappy-compressed (remote-write sends snappy block format)") from None
    if size > limit:
        raise InvalidRequest(f"body decompresses to {size} bytes, more than {limit} (collector.max_decompressed_bytes)")
    try:
        return bytes(cramjam.snappy.decompress_raw(body))
    except Exception as exc:
        raise InvalidRequest(f"body is not valid snappy data: {exc}") from None


def parse(data: bytes):
    """Parse a WriteRequest, or raise InvalidRequest."""
    try:
        return WriteRequest.FromString(data)
    except DecodeError as exc:
        raise InvalidRequest(f"body is not a remote-write WriteRequest protobuf: {exc}") from None


def to_otlp(request, cache: MetadataCache, limits: Limits = DEFAULT_LIMITS) -> Converted:
    """Map a parsed WriteRequest's series to an ExportMetricsServiceRequest (see the module doc).

    Checks what OTLP decoding would (timestamps inside the accepted window, attributes per point), so
    the body needs no second parse; a sample or series failing a check is left out and counted.
    """
    b = otlp.Builder()
    samples = rejected = 0
    problem = ""
    low, high = limits.window(Signal.METRICS)
    pack = otlp.POINT_TAIL.pack
    tag = otlp.AS_DOUBLE_TAG
    for ts in request.timeseries:
        labels = {label.name: label.value for label in ts.labels if label.value}
        name = labels.pop("__name__", "")
        problem_here = "a series has no __name__ label" if not name else ""
        if len(labels) > limits.max_attributes + 2:  # job and instance go to the resource
            problem_here = f"a series has more than collector.max_attributes_per_item ({limits.max_attributes}) labels"
        if problem_here:
            rejected += len(ts.samples)
            problem = problem or problem_here
            continue
        meta, suffixed = cache.lookup(name)
        extra = (meta.help, meta.unit) if meta else ()
        points, attrs = b.series(name, series_kind(name, meta, suffixed), labels, *extra, track=False)
        prefix = otlp.number_prefix(attrs)
        for s in ts.samples:
            t, v = s.timestamp * 1_000_000, s.value
            if not low <= t <= high:
                rejected += 1
                problem = problem or f"sample timestamp {s.timestamp} ms is outside the accepted window (retention)"
            elif v == v:
                points.append(prefix + pack(t, tag, v))
                samples += 1
            else:  # NaN: maybe a staleness marker, which carries a flag
                points.append(otlp.number_point(attrs, t, v))
                samples += 1
    return Converted(b.encode(), samples, rejected, problem)
