"""Metrics explorer numbers: a counter's rate across a reset, histogram quantiles from buckets, exemplars.

Points are OTLP protobuf requests with chosen values, POSTed to a live collector.
"""

from __future__ import annotations

import math
import time

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as mpb
from opentelemetry.proto.metrics.v1 import metrics_pb2

from tests.dashboard.conftest import World
from tests.dashboard.seed import post_metrics
from tests.dashboard.test_api_numbers import get

NS = 1_000_000_000
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE


def request(service: str) -> tuple[mpb.ExportMetricsServiceRequest, metrics_pb2.ScopeMetrics]:
    req = mpb.ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.add(key="service.name").value.string_value = service
    return req, rm.scope_metrics.add()


def minute_start() -> int:
    """Return a minute boundary ten minutes ago, in seconds."""
    return (int(time.time()) // 60 - 10) * 60


def test_counter_rate_and_increase_across_a_reset(world: World, dashboard_url: str) -> None:
    m0 = minute_start()
    req, scope = request("billing")
    metric = scope.metrics.add(name="jobs.done", unit="1", description="jobs finished")
    metric.sum.aggregation_temporality = CUMULATIVE
    metric.sum.is_monotonic = True
    # one point per minute; the process restarts before the fourth (new start time, value from zero)
    points = [(10, 1), (20, 1), (30, 1), (5, 2), (15, 2)]
    for k, (value, start) in enumerate(points):
        p = metric.sum.data_points.add(as_double=value, time_unix_nano=(m0 + 60 * k + 10) * NS)
        p.start_time_unix_nano = (m0 - 3600) * NS if start == 1 else (m0 + 60 * 3) * NS
        p.attributes.add(key="queue").value.string_value = "mail"
    post_metrics(world.http_url, req)
    world.live.wait_stored()

    w = {"from": str(m0 * 1000), "to": str((m0 + 300) * 1000), "step": "60", "name": "jobs.done", "kind": "sum"}
    inc = get(dashboard_url, "/api/metrics/series", agg="increase", **w)
    (series,) = inc["series"]
    # the first point is the baseline (its series started long before the range), then +10, +10,
    # the reset counts its whole value (5), then +10
    assert [(p["t"] - m0, p["value"]) for p in series["points"]] == [(0, 0), (60, 10), (120, 10), (180, 5), (240, 10)]
    rate = get(dashboard_url, "/api/metrics/series", agg="rate", group="queue", **w)
    (series,) = rate["series"]
    assert series["group"] == ["mail"]
    assert [p["value"] for p in series["points"]] == [0, 10 / 60, 10 / 60, 5 / 60, 10 / 60]
    last = get(dashboard_url, "/api/metrics/series", agg="max", **w)["series"][0]["points"]
    assert [p["value"] for p in last] == [10, 20, 30, 5, 15]

    catalog = get(dashboard_url, "/api/metrics", search="JOBS", **{k: w[k] for k in ("from", "to")})["metrics"]
    assert [(m["name"], m["kind"], m["unit"], m["labels"], m["monotonic"]) for m in catalog] == [
        ("jobs.done", "sum", "1", ["queue"], 1)
    ]


def interpolated(bounds: list[float], counts: list[int], q: float, first_lower: float = 0.0) -> float:
    """The q-quantile of buckets (upper bounds), interpolating linearly inside the bucket holding the rank."""
    rank, seen = q * sum(counts), 0
    for i, n in enumerate(counts):
        if seen + n >= rank:
            lower = bounds[i - 1] if i else first_lower
            return lower + (bounds[i] - lower) * (rank - seen) / n
        seen += n
    raise AssertionError("rank beyond the buckets")


def test_histogram_quantiles_from_explicit_buckets(world: World, dashboard_url: str) -> None:
    m0 = minute_start()
    bounds = [10.0, 50.0, 100.0, 500.0]
    before = [1, 1, 1, 1, 0]
    after = [11, 51, 31, 11, 0]  # 100 new observations in the window: 10, 50, 30, 10, 0
    req, scope = request("checkout")
    metric = scope.metrics.add(name="http.server.duration", unit="ms")
    metric.histogram.aggregation_temporality = CUMULATIVE
    for t, counts in ((m0 - 30, before), (m0 + 30, after)):
        p = metric.histogram.data_points.add(time_unix_nano=t * NS, start_time_unix_nano=(m0 - 7200) * NS)
        p.count, p.sum = sum(counts), 1.0
        p.bucket_counts.extend(counts)
        p.explicit_bounds.extend(bounds)
        if counts is after:
            ex = p.exemplars.add(as_double=480.0, time_unix_nano=(m0 + 20) * NS)
            ex.trace_id = bytes.fromhex("ab" * 16)
            ex.span_id = bytes.fromhex("cd" * 8)
    post_metrics(world.http_url, req)
    world.live.wait_stored()

    w = {"from": str(m0 * 1000), "to": str((m0 + 60) * 1000), "step": "60", "name": "http.server.duration"}
    new = [a - b for a, b in zip(after, before, strict=True)]
    for agg, q in (("p99", 0.99), ("p50", 0.5), ("p90", 0.9)):
        data = get(dashboard_url, "/api/metrics/series", kind="histogram", agg=agg, **w)
        (series,) = data["series"]
        (point,) = series["points"]
        assert math.isclose(point["value"], interpolated(bounds, new, q)), agg
    assert math.isclose(interpolated(bounds, new, 0.99), 460.0)
    assert data["exemplars"] == [{"ts_ns": (m0 + 20) * NS, "value": 480.0, "trace_id": "ab" * 16, "span_id": "cd" * 8}]


def test_histogram_quantiles_from_exponential_buckets(world: World, dashboard_url: str) -> None:
    m0 = minute_start()
    req, scope = request("checkout")
    metric = scope.metrics.add(name="payload.size", unit="By")
    metric.exponential_histogram.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA
    p = metric.exponential_histogram.data_points.add(time_unix_nano=(m0 + 5) * NS, start_time_unix_nano=m0 * NS)
    # scale 0: bucket i holds (2^i, 2^(i+1)]; offset 3 -> buckets (8,16], (16,32], (32,64]
    p.scale, p.zero_count, p.count, p.sum = 0, 0, 100, 1.0
    p.positive.offset = 3
    p.positive.bucket_counts.extend([50, 40, 10])
    post_metrics(world.http_url, req)
    world.live.wait_stored()

    w = {"from": str(m0 * 1000), "to": str((m0 + 60) * 1000), "step": "60", "name": "payload.size"}
    bounds, counts = [16.0, 32.0, 64.0], [50, 40, 10]
    for agg, q in (("p99", 0.99), ("p50", 0.5), ("p90", 0.9)):
        data = get(dashboard_url, "/api/metrics/series", kind="exponential_histogram", agg=agg, **w)
        (point,) = data["series"][0]["points"]
        assert math.isclose(point["value"], interpolated(bounds, counts, q, first_lower=8.0)), agg
