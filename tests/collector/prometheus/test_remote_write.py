"""remote_write receiver: type rules, metadata, staleness, exact values, and bad bodies answered 400."""

from __future__ import annotations

import struct
import time
import urllib.error
import urllib.request

import cramjam
import pytest

from collector.otlp.model import InvalidRequest
from collector.prometheus import otlp
from collector.prometheus.prompb import WriteRequest
from collector.prometheus.remote_write import COUNTER, GAUGE, HISTOGRAM, SUMMARY, Meta, MetadataCache, series_kind

STALE = struct.unpack("<d", struct.pack("<Q", otlp.STALE_NAN_BITS))[0]


@pytest.mark.parametrize(
    ("name", "meta", "suffixed", "kind"),
    [
        ("http_requests_total", None, False, otlp.SUM),
        ("latency_bucket", None, False, otlp.SUM),
        ("latency_sum", None, False, otlp.SUM),
        ("latency_count", None, False, otlp.SUM),
        ("node_load1", None, False, otlp.GAUGE),
        ("queue_total", Meta(GAUGE), False, otlp.GAUGE),  # metadata beats the naming convention
        ("errors", Meta(COUNTER), False, otlp.SUM),
        ("latency_bucket", Meta(HISTOGRAM), True, otlp.SUM),
        ("rpc", Meta(SUMMARY), False, otlp.GAUGE),  # a summary's quantile series
        ("rpc_count", Meta(SUMMARY), True, otlp.SUM),
    ],
)
def test_series_kind(name, meta, suffixed, kind):
    assert series_kind(name, meta, suffixed) == kind


def test_metadata_cache_finds_family_of_suffixed_series():
    cache = MetadataCache(limit=2)
    request = WriteRequest()
    request.metadata.add(type=HISTOGRAM, metric_family_name="latency", help="Latency", unit="seconds")
    request.metadata.add(type=GAUGE, metric_family_name="a")
    request.metadata.add(type=GAUGE, metric_family_name="b")
    cache.learn(request)
    assert cache.lookup("latency_bucket") == (None, False), "the oldest family fell out of the bounded cache"
    assert cache.lookup("b") == (Meta(GAUGE), False)


def write_request(series: list[tuple[dict[str, str], list[tuple[float, int]]]], metadata=()) -> bytes:
    request = WriteRequest()
    for labels, samples in series:
        ts = request.timeseries.add()
        for k, v in sorted(labels.items()):
            ts.labels.add(name=k, value=v)
        for value, at in samples:
            ts.samples.add(value=value, timestamp=at)
    for kind, family, help_ in metadata:
        request.metadata.add(type=kind, metric_family_name=family, help=help_)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def post(url: str, body: bytes, **headers: str) -> int:
    headers = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf", **headers}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_remote_write_stores_exact_values_metadata_and_stale_markers(live):
    url = f"{live.http_url}/api/v1/write"
    now = int(time.time() * 1000)
    # metadata first, alone, as Prometheus sends it
    assert post(url, write_request([], [(GAUGE, "jobs_total", "Jobs queued")])) == 204
    tricky = [0.1 + 0.2, 1e-310, 2.0**53 + 1, -0.0, float("inf"), 123456.78901234567]
    series = [
        (
            {"__name__": "jobs_total", "job": "api", "instance": "h:1", "queue": "a"},
            [(v, now + i) for i, v in enumerate(tricky)],
        ),
        ({"__name__": "hits_total", "job": "api", "instance": "h:1"}, [(5.0, now), (STALE, now + 1000)]),
    ]
    assert post(url, write_request(series)) == 204
    gauge = live.query(
        "SELECT Value, Attributes, ServiceName, ResourceAttributes['service.instance.id'], MetricDescription "
        "FROM {db}.otel_metrics_gauge WHERE MetricName = 'jobs_total' ORDER BY TimeUnix"
    )
    assert [struct.pack("<d", r[0]) for r in gauge] == [struct.pack("<d", v) for v in tricky]
    assert gauge[0][1:] == ({"queue": "a"}, "api", "h:1", "Jobs queued")
    sums = live.query(
        "SELECT Value, Flags FROM {db}.otel_metrics_sum WHERE MetricName = 'hits_total' ORDER BY TimeUnix"
    )
    assert sums[0] == (5.0, 0)
    assert struct.pack("<d", sums[1][0]) == struct.pack("<d", STALE) and sums[1][1] == 1


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\xff\xff\xff\xff\xff\x0fjunk", "not snappy"),
        (bytes(cramjam.snappy.compress_raw(b"\x0a\xff\xff\xff\x0f")), "snappy, but not a WriteRequest"),
        (write_request([({"job": "x"}, [(1.0, 1)])]), "no __name__"),
    ],
)
def test_malformed_remote_write_gets_400(live, body, why):
    assert post(f"{live.http_url}/api/v1/write", body) == 400, why
    assert live.query("SELECT count() FROM {db}.otel_metrics_gauge") == [(0,)]


def test_too_many_samples_is_refused_naming_the_setting():
    from collector.otlp.limits import Limits
    from collector.prometheus.remote_write_http import convert

    body = write_request([({"__name__": "g"}, [(1.0, i) for i in range(11)])])
    with pytest.raises(InvalidRequest, match=r"collector\.max_items_per_request"):
        convert(body, 1 << 20, MetadataCache(), Limits(max_items=10))


def test_remote_write_needs_the_ingest_key_when_keys_are_set(chdb_path, store, database):
    from tests.collector.conftest import start_live_collector

    for live in start_live_collector(chdb_path, store, database, OTELHOUSE_COLLECTOR_API_KEYS="k1"):
        body = write_request([({"__name__": "g"}, [(1.0, int(time.time() * 1000))])])
        assert post(f"{live.http_url}/api/v1/write", body) == 401
        assert post(f"{live.http_url}/api/v1/write", body, Authorization="Bearer k1") == 204
        assert live.query("SELECT count() FROM {db}.otel_metrics_gauge WHERE MetricName = 'g'") == [(1,)]
