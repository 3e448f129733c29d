"""A scraped exposition (Prometheus text or OpenMetrics) -> OTLP metrics, as the OTel receiver maps it.

- counter: a monotonic cumulative sum named as the sample (`requests_total`; `_created` sets the
  start time);
- gauge, unknown, info, stateset: a gauge per sample name;
- histogram: one histogram point per label set (bounds and counts from `le`, sum, count);
- summary: one summary point per label set (quantiles, sum, count);
- HELP and UNIT become the description and unit; `job` and `instance` the resource's
  `service.name` and `service.instance.id`; the other target labels and the sample's labels the
  point's attributes.
Parsed with prometheus_client's parsers (pure functions raising ValueError on bad input).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families as text_families

from collector.prometheus import otlp

OPENMETRICS = "application/openmetrics-text"
STALE_NAN = otlp._DOUBLE.unpack(otlp._FIXED64.pack(otlp.STALE_NAN_BITS))[0]


@dataclass(frozen=True, slots=True)
class Target:
    """What a scrape adds to every series: job, instance and extra labels, and how they merge."""

    labels: Mapping[str, str]  # job, instance and the job's extra labels
    honor_labels: bool = False
    honor_timestamps: bool = True


def parse_families(text: str, content_type: str) -> list:
    """Parse an exposition by its Content-Type; raise ValueError naming the bad line."""
    if content_type.lower().startswith(OPENMETRICS):
        return list(openmetrics_families(text))
    return list(text_families(text))


def merge_labels(scraped: Mapping[str, str], target: Target) -> dict[str, str]:
    """Apply the target's labels as Prometheus does (a clash keeps both as exported_NAME unless honored)."""
    labels = {k: v for k, v in scraped.items() if v}
    for name, value in target.labels.items():
        if name in labels:
            if target.honor_labels:
                continue
            labels["exported_" + name] = labels[name]
        labels[name] = value
    return labels


def _time_ns(timestamp, fmt_openmetrics: bool, scrape_ns: int, honor: bool) -> int:
    if timestamp is None or not honor:
        return scrape_ns
    if hasattr(timestamp, "sec"):
        return timestamp.sec * 1_000_000_000 + timestamp.nsec
    # the text parser turned the exposition's integer milliseconds into float seconds
    if fmt_openmetrics:
        return round(timestamp * 1e9)
    return round(timestamp * 1000) * 1_000_000


def _grouped(samples: Iterable, skip: str) -> dict[tuple[tuple[str, str], ...], list]:
    """Samples grouped by their labels without `skip` (le or quantile), in exposition order."""
    groups: dict[tuple[tuple[str, str], ...], list] = {}
    for s in samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != skip))
        groups.setdefault(key, []).append(s)
    return groups


def _bucket_counts(buckets: list[tuple[float, float]]) -> tuple[list[float], list[int]]:
    """Finite bounds and per-bucket counts from cumulative (le, count) pairs."""
    buckets.sort()
    bounds = [le for le, _ in buckets if not math.isinf(le)]
    counts, previous = [], 0.0
    for _, cumulative in buckets:
        counts.append(max(0, round(cumulative - previous)))
        previous = cumulative
    if not buckets or not math.isinf(buckets[-1][0]):
        counts.append(0)  # OTLP wants one count more than bounds: the +Inf bucket
    return bounds, counts


def _family(b: otlp.Builder, fam, target: Target, when) -> None:
    help_, unit = fam.documentation, fam.unit
    if fam.type in ("histogram", "summary"):
        skip = "le" if fam.type == "histogram" else "quantile"
        for key, samples in _grouped(fam.samples, skip).items():
            labels = merge_labels(dict(key), target)
            parts = {"count": 0.0, "sum": None, "created": 0, "values": [], "ts": None}
            for s in samples:
                suffix = s.name[len(fam.name) :]
                parts["ts"] = parts["ts"] or s.timestamp
                if suffix == "_count":
                    parts["count"] = s.value
                elif suffix == "_sum":
                    parts["sum"] = float(s.value)
                elif suffix == "_created":
                    parts["created"] = round(s.value * 1e9)
                elif skip in s.labels:
                    parts["values"].append((float(s.labels[skip]), float(s.value)))
            t, start = when(parts["ts"]), parts["created"]
            points, attrs = b.series(fam.name, fam.type, labels, help_, unit)
            if fam.type == "histogram":
                bounds, counts = _bucket_counts(parts["values"])
                points.append(
                    otlp.histogram_point(attrs, t, round(parts["count"]), parts["sum"], bounds, counts, start)
                )
            else:
                quantiles = sorted(parts["values"])
                points.append(
                    otlp.summary_point(attrs, t, round(parts["count"]), parts["sum"] or 0.0, quantiles, start)
                )
        return
    created = {
        tuple(sorted(s.labels.items())): round(s.value * 1e9) for s in fam.samples if s.name.endswith("_created")
    }
    kind = otlp.SUM if fam.type == "counter" else otlp.GAUGE
    for s in fam.samples:
        if fam.type == "counter" and s.name.endswith("_created"):
            continue
        start = created.get(tuple(sorted(s.labels.items())), 0)
        points, attrs = b.series(s.name, kind, merge_labels(s.labels, target), help_, unit)
        points.append(otlp.number_point(attrs, when(s.timestamp), float(s.value), start))


def convert(families: list, target: Target, scrape_ns: int, openmetrics: bool) -> otlp.Builder:
    """Map parsed families to OTLP points; the caller adds the scrape's own series and stale markers."""
    b = otlp.Builder()

    def when(timestamp) -> int:
        return _time_ns(timestamp, openmetrics, scrape_ns, target.honor_timestamps)

    for fam in families:
        _family(b, fam, target, when)
    return b


def add_scrape_series(b: otlp.Builder, target: Target, scrape_ns: int, up: bool, seconds: float, samples: int) -> None:
    """Add the series Prometheus records per scrape: up, scrape_duration_seconds, scrape_samples_scraped."""
    values = {"up": 1.0 if up else 0.0, "scrape_duration_seconds": seconds, "scrape_samples_scraped": float(samples)}
    for name, value in values.items():
        points, attrs = b.series(name, otlp.GAUGE, dict(target.labels))
        points.append(otlp.number_point(attrs, scrape_ns, value))


def add_stale_markers(b: otlp.Builder, previous: Mapping[otlp.SeriesKey, tuple], scrape_ns: int) -> int:
    """Mark series of the previous scrape that this one lacks as stale (flagged no-recorded-value)."""
    gone = [key for key in previous if key not in b.seen]
    for name, kind, attrs in gone:
        resource, help_, unit = previous[(name, kind, attrs)]
        points, encoded = b.series(
            name, kind, {**dict(attrs), "job": resource[0], "instance": resource[1]}, help_, unit
        )
        if kind == otlp.HISTOGRAM:
            points.append(otlp.histogram_point(encoded, scrape_ns, 0, None, [], [0], flags=otlp.NO_RECORDED_VALUE))
        elif kind == otlp.SUMMARY:
            points.append(otlp.summary_point(encoded, scrape_ns, 0, 0.0, [], flags=otlp.NO_RECORDED_VALUE))
        else:
            points.append(otlp.number_point(encoded, scrape_ns, STALE_NAN))
        del b.seen[(name, kind, attrs)]
    return len(gone)
