"""The remote-write fast path (ClickHouse decodes the WriteRequest) stores what the Python mapping does.

The same WriteRequest goes through both paths, each into a database of its own, with metadata caches
in the same state; the OTel metric tables must hold identical rows (read back as exact text).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from collector.otlp.decode import DEFAULT_LIMITS
from collector.otlp.model import Payload, Route, Signal
from collector.prometheus import otlp
from collector.prometheus.direct import prepare
from collector.prometheus.otlp import varint
from collector.prometheus.prompb import WriteRequest
from collector.prometheus.remote_write import COUNTER, GAUGE, HISTOGRAM, SUMMARY, MetadataCache, to_otlp
from collector.wal.records import decode, encode, parse_header
from storage import Store
from storage.schema import TABLES
from storage.writer import write_payloads
from tests.storage.otlp_samples import fresh_stores, skip_indexes_after_merge, tsv_rows

NOW_MS = time.time_ns() // 1_000_000
STALE = struct.unpack("<d", struct.pack("<Q", otlp.STALE_NAN_BITS))[0]
METRIC_TABLES = [t for t in TABLES if t.startswith("otel_metrics")]
# HELP/UNIT of a family, and types that make suffixed series sums (histogram, summary) or not
FAMILIES = ["http_requests", "latency", "temp", "up", "Ünïcode"]
names = st.sampled_from(FAMILIES).flatmap(
    lambda f: st.sampled_from([f, f + "_total", f + "_bucket", f + "_sum", f + "_count", f + "_created"])
)
label_names = st.sampled_from(["job", "instance", "le", "code", "a", "B", "zz"])
label_values = st.sampled_from(["", "api", "h:1", "0.5", "+Inf", "é/\n\t\\", "x" * 40])
values = (
    st.floats()
    | st.sampled_from([STALE, float("nan"), -0.0, 0.1 + 0.2, 5e-324, 2.0**53 + 1, float("inf")])
    | st.integers(-(2**40), 2**40).map(float)
)
times = st.integers(NOW_MS - 3_600_000, NOW_MS + 60_000)
far = st.sampled_from([0, -5, NOW_MS + 10 * 86_400_000])  # outside the accepted window


@st.composite
def series(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[tuple[float, int]]]:
    labels = [("__name__", draw(names)), *draw(st.dictionaries(label_names, label_values, max_size=4)).items()]
    if draw(st.integers(0, 9)) == 0:  # unsorted or nameless now and then: the Python mapping's turn
        labels = draw(st.permutations(labels))[: draw(st.integers(0, len(labels)))]
    stamps = draw(st.lists(times | far if draw(st.integers(0, 4)) == 0 else times, max_size=4))
    return labels, [(draw(values), t) for t in stamps]


metadata = st.lists(
    st.tuples(st.sampled_from([0, COUNTER, GAUGE, HISTOGRAM, SUMMARY, 6]), st.sampled_from(FAMILIES), label_values),
    max_size=3,
)


def write_request(all_series, meta) -> bytes:
    request = WriteRequest()
    for labels, samples in all_series:
        ts = request.timeseries.add()
        for k, v in labels:
            ts.labels.add(name=k, value=v)
        for value, at in samples:
            ts.samples.add(value=value, timestamp=at)
    for kind, family, text in meta:
        request.metadata.add(type=kind, metric_family_name=family, help=text, unit=text[:3])
    return request.SerializeToString()


@pytest.fixture
def path_stores(engine: Store) -> Iterator[dict[str, Store]]:
    with fresh_stores(engine, ("py", "ch")) as stores:
        yield stores


def through_the_log(payload: Payload) -> Payload:
    """The payload as the write-ahead log gives it back (the route code survives)."""
    record = encode(payload, 1)
    length, crc, meta = parse_header(record)
    return decode(length, crc, meta, record[-length:]).payload


def store_both(stores: dict[str, Store], data: bytes, earlier: bytes, token: str | None = None) -> bool:
    """Write `data` through both paths (caches having learned `earlier`); whether ClickHouse decoded it."""
    caches = {p: MetadataCache() for p in stores}
    for cache in caches.values():
        cache.learn(WriteRequest.FromString(earlier))
    direct = prepare(data, caches["ch"], DEFAULT_LIMITS)
    request = WriteRequest.FromString(data)
    caches["py"].learn(request)
    mapped = to_otlp(request, caches["py"], DEFAULT_LIMITS)
    payloads = {"py": Payload(Signal.METRICS, Route.FLAT, mapped.body, mapped.items)}
    if direct is not None:
        payloads["ch"] = through_the_log(Payload(Signal.METRICS, Route.PROMETHEUS, direct.body, direct.samples))
    else:
        payloads["ch"] = payloads["py"]
    for p, payload in payloads.items():
        if payload.items:
            stores[p].call(lambda c, s=stores[p], q=payload: write_payloads(c, s.opts, [q], token))
    return direct is not None


def rows(store: Store) -> dict[str, list[str]]:
    return {t: store.call(lambda c, t=t: tsv_rows(c, store.database, t)) for t in METRIC_TABLES}


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(series(), max_size=6), metadata, metadata)
def test_both_paths_store_identical_rows(path_stores: dict[str, Store], all_series, meta, earlier_meta) -> None:
    for store in path_stores.values():
        for table in METRIC_TABLES:
            store.call(lambda c, s=store, t=table: c.command(f"TRUNCATE TABLE {s.database}.{t}"))
    took = store_both(path_stores, write_request(all_series, meta), write_request([], earlier_meta))
    event(f"direct: {took}")
    assert rows(path_stores["ch"]) == rows(path_stores["py"])


def test_node_exporter_like_request_takes_the_direct_path_and_replays_once(path_stores: dict[str, Store]) -> None:
    """A realistic request is decoded by ClickHouse, and a replay under the same token stores nothing."""
    all_series = [
        (
            [
                ("__name__", "node_cpu_seconds_total"),
                ("cpu", str(c)),
                ("instance", "h:9100"),
                ("job", "node"),
                ("mode", mode),
            ],
            [(float(i * 3 + c), NOW_MS - 15_000 * (4 - i)) for i in range(4)],
        )
        for c in range(2)
        for mode in ("idle", "user")
    ]
    load = [("__name__", "node_load1"), ("instance", "h:9100"), ("job", "node")]
    all_series.append((load, [(0.25, NOW_MS), (STALE, NOW_MS + 1)]))
    data = write_request(all_series, [(GAUGE, "node_load1", "1m load average")])
    for _ in range(2):
        assert store_both(path_stores, data, b"", token="wal:metrics:1.0-1.9")
    got = rows(path_stores["ch"])
    assert got == rows(path_stores["py"])
    assert len(got["otel_metrics_sum"]) == 16 and len(got["otel_metrics_gauge"]) == 2


def test_window_is_the_one_at_acceptance(path_stores: dict[str, Store]) -> None:
    """A sample between in-window ends but outside the window is left out by the view, as by Python."""
    data = write_request([([("__name__", "g")], [(1.0, NOW_MS - 1), (2.0, 0), (3.0, NOW_MS)])], [])
    assert store_both(path_stores, data, b"")
    assert rows(path_stores["ch"]) == rows(path_stores["py"])
    assert len(rows(path_stores["ch"])["otel_metrics_gauge"]) == 2


def test_what_only_python_can_map_falls_back() -> None:
    limits = replace(DEFAULT_LIMITS, max_attributes=1)
    cases = [
        [([("job", "x"), ("__name__", "g")], [(1.0, NOW_MS)])],  # __name__ not first
        [([("__name__", "")], [(1.0, NOW_MS)])],  # no name
        [([("__name__", "g")], [(1.0, -5)])],  # an end outside the window
        [([("__name__", "g"), ("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")], [(1.0, NOW_MS)])],  # labels
    ]
    for case in cases:
        assert prepare(write_request(case, []), MetadataCache(), limits) is None, case


def test_exemplars_and_native_histograms_are_skipped_by_both(path_stores: dict[str, Store]) -> None:
    """Fields remote-write 1.0 senders may add to a series (exemplars 3, native histograms 4) are skipped."""
    series = write_request([([("__name__", "rpc_total"), ("job", "api")], [(7.0, NOW_MS)])], [])
    ts = WriteRequest.FromString(series).timeseries[0].SerializeToString()
    exemplar = b"\x11" + struct.pack("<d", 1.5) + b"\x18" + varint(NOW_MS)  # value, timestamp
    histogram = b"\x08\x05"  # count_int
    ts += b"\x1a" + varint(len(exemplar)) + exemplar + b"\x22" + varint(len(histogram)) + histogram
    data = b"\x0a" + varint(len(ts)) + ts
    assert store_both(path_stores, data, b"")
    got = rows(path_stores["ch"])
    assert got == rows(path_stores["py"]) and len(got["otel_metrics_sum"]) == 1


def test_a_rejected_request_is_left_out_alone_and_a_replay_stores_nothing_twice(store: Store) -> None:
    """The collector's sink, with view deduplication off on the session: the writer's own settings hold."""
    from collector.app import store_sink

    client = store.client()
    client.set_client_setting("deduplicate_blocks_in_dependent_materialized_views", "0")

    def request(name: str) -> Payload:
        data = write_request([([("__name__", name), ("job", "j")], [(1.0, NOW_MS), (2.0, NOW_MS + 1)])], [])
        direct = prepare(data, MetadataCache(), DEFAULT_LIMITS)
        assert direct is not None
        return Payload(Signal.METRICS, Route.PROMETHEUS, direct.body, direct.samples)

    bad = Payload(Signal.METRICS, Route.PROMETHEUS, b"\x0a\xff\xff\xff\x0f", 1)  # a length past the end
    batch = [request("a"), bad, request("b")]
    sink = store_sink(store)  # on this thread, so through the client set above
    for _ in range(2):  # the second time as a replay of the same batch from the write-ahead log
        assert set(sink(batch, "wal:metrics:1.0-1.99")) == {1}
    stored = store.call(
        lambda c: c.query(f"SELECT MetricName, count() FROM {store.database}.otel_metrics_gauge GROUP BY 1 ORDER BY 1")
    )
    assert stored.result_rows == [("a", 2), ("b", 2)]


def test_skip_indexes_are_built_at_the_first_merge(store: Store) -> None:
    """The remote-write insert leaves the label-map bloom filters to the first merge, which builds them."""
    for k in range(2):
        data = write_request([([("__name__", "x_total"), ("a", str(k))], [(1.0, NOW_MS + k)])], [])
        direct = prepare(data, MetadataCache(), DEFAULT_LIMITS)
        payload = Payload(Signal.METRICS, Route.PROMETHEUS, direct.body, direct.samples)
        store.call(lambda c, p=payload, t=f"t{k}": write_payloads(c, store.opts, [p], t))
    before, after = skip_indexes_after_merge(store, "otel_metrics_sum")
    assert before == [0, 0] and after > 0
    found = f"SELECT count() FROM {store.database}.otel_metrics_sum WHERE Attributes['a'] = '1'"
    assert store.call(lambda c: c.query(found).result_rows) == [(1,)]
