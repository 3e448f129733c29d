"""Both storage routes store identical rows for any request (hypothesis-generated)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collector.otlp.decode import decode_protobuf
from collector.otlp.model import OTLP_ROUTES, Payload, Route, Signal
from storage import Store
from storage.schema import TABLES
from storage.writer import write_payloads
from tests.storage.otlp_samples import fill, fresh_stores, tsv_rows

NOW = time.time_ns()
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
keys = st.sampled_from(["service.name", "a", "b", "é", "", "k/\n"]) | texts
scalars = (
    texts
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()
    | st.sampled_from([1e21, 1e20, 0.1, -0.0, 1e-7, 5e-324])
    | st.binary(max_size=6)
    | st.none()
)
any_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=8
)


def attribute_lists(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(st.tuples(keys, values), max_size=4)  # repeated keys included


times = st.integers(NOW - 86_400 * 10**9, NOW + 3600 * 10**9) | st.just(0)
ids16 = st.binary(min_size=16, max_size=16) | st.sampled_from([b"", bytes(16)])
ids8 = st.binary(min_size=8, max_size=8) | st.sampled_from([b"", bytes(8)])


def add(target, attrs: list) -> None:
    for k, v in attrs:
        fill(target.add(key=k).value, v)


@st.composite
def resources(draw: st.DrawFn, request, field: str, scope_field: str, item, values: st.SearchStrategy) -> None:
    """Fill `request` with 1-2 resources of 1-2 scopes whose items `item` fills, attribute values from `values`."""
    for _ in range(draw(st.integers(1, 2))):
        r = getattr(request, field).add(schema_url=draw(texts))
        add(r.resource.attributes, draw(attribute_lists(values)))
        for _ in range(draw(st.integers(1, 2))):
            s = getattr(r, scope_field).add(schema_url=draw(texts))
            s.scope.name, s.scope.version = draw(texts), draw(texts)
            s.scope.dropped_attributes_count = draw(st.integers(0, 2**32 - 1))
            add(s.scope.attributes, draw(attribute_lists(values)))
            for _ in range(draw(st.integers(0, 3))):
                draw(item(s, values))


@st.composite
def span(draw: st.DrawFn, scope, values: st.SearchStrategy) -> None:
    s = scope.spans.add(
        trace_id=draw(st.binary(min_size=16, max_size=16)), span_id=draw(st.binary(min_size=8, max_size=8))
    )
    s.parent_span_id, s.trace_state, s.name = draw(ids8), draw(texts), draw(texts)
    s.kind, s.status.code, s.status.message = draw(st.integers(0, 7)), draw(st.integers(0, 4)), draw(texts)
    s.start_time_unix_nano, s.end_time_unix_nano = draw(times), draw(times)
    add(s.attributes, draw(attribute_lists(values)))
    for _ in range(draw(st.integers(0, 2))):
        add(s.events.add(time_unix_nano=draw(times), name=draw(texts)).attributes, draw(attribute_lists(values)))
    for _ in range(draw(st.integers(0, 2))):
        link = s.links.add(trace_id=draw(ids16), span_id=draw(ids8), trace_state=draw(texts))
        add(link.attributes, draw(attribute_lists(values)))


@st.composite
def log_record(draw: st.DrawFn, scope, values: st.SearchStrategy) -> None:
    r = scope.log_records.add(time_unix_nano=draw(times), observed_time_unix_nano=draw(times))
    r.severity_number, r.severity_text = draw(st.integers(0, 300)), draw(texts)
    r.flags, r.trace_id, r.span_id, r.event_name = draw(st.integers(0, 2**32 - 1)), draw(ids16), draw(ids8), draw(texts)
    fill(r.body, draw(values))
    add(r.attributes, draw(attribute_lists(values)))


def _number(draw: st.DrawFn, p) -> None:
    if draw(st.booleans()):
        p.as_double = draw(st.floats())
    else:
        p.as_int = draw(st.integers(-(2**63), 2**63 - 1))


@st.composite
def metric(draw: st.DrawFn, scope, values: st.SearchStrategy) -> None:
    m = scope.metrics.add(name=draw(texts.filter(bool)), description=draw(texts), unit=draw(texts))
    kind = draw(st.sampled_from(["gauge", "sum", "histogram", "exponential_histogram", "summary"]))
    data = getattr(m, kind)
    data.SetInParent()
    if kind != "gauge" and kind != "summary":
        data.aggregation_temporality = draw(st.integers(0, 2))
    if kind == "sum":
        data.is_monotonic = draw(st.booleans())
    for _ in range(draw(st.integers(0, 2))):
        p = data.data_points.add(
            start_time_unix_nano=draw(times), time_unix_nano=draw(times), flags=draw(st.integers(0, 3))
        )
        add(p.attributes, draw(attribute_lists(values)))
        if kind in ("gauge", "sum"):
            _number(draw, p)
        else:
            p.count, p.sum = draw(st.integers(0, 2**64 - 1)), draw(st.floats())
        if kind == "histogram":
            p.bucket_counts.extend(draw(st.lists(st.integers(0, 2**64 - 1), max_size=3)))
            p.explicit_bounds.extend(draw(st.lists(st.floats(), max_size=3)))
        if kind == "exponential_histogram":
            p.scale, p.zero_count = draw(st.integers(-10, 20)), draw(st.integers(0, 99))
            for side in (p.positive, p.negative):
                side.offset = draw(st.integers(-(2**31), 2**31 - 1))
                side.bucket_counts.extend(draw(st.lists(st.integers(0, 2**64 - 1), max_size=3)))
        if kind in ("histogram", "exponential_histogram") and draw(st.booleans()):
            p.min, p.max = draw(st.floats()), draw(st.floats())
        if kind == "summary":
            for _ in range(draw(st.integers(0, 2))):
                p.quantile_values.add(quantile=draw(st.floats()), value=draw(st.floats()))
        else:
            for _ in range(draw(st.integers(0, 2))):
                x = p.exemplars.add(time_unix_nano=draw(times), span_id=draw(ids8), trace_id=draw(ids16))
                add(x.filtered_attributes, draw(attribute_lists(values)))
                _number(draw, x)


@st.composite
def requests(draw: st.DrawFn) -> tuple[Signal, bytes]:
    signal = draw(st.sampled_from(list(Signal)))
    values = draw(st.sampled_from([scalars, any_values]))  # all scalars: the flat route
    if signal is Signal.TRACES:
        request = ExportTraceServiceRequest()
        draw(resources(request, "resource_spans", "scope_spans", span, values))
    elif signal is Signal.LOGS:
        request = ExportLogsServiceRequest()
        draw(resources(request, "resource_logs", "scope_logs", log_record, values))
    else:
        request = ExportMetricsServiceRequest()
        draw(resources(request, "resource_metrics", "scope_metrics", metric, values))
    return signal, request.SerializeToString()


@pytest.fixture
def route_stores(engine: Store) -> Iterator[dict[Route, Store]]:
    with fresh_stores(engine, OTLP_ROUTES) as stores:
        yield stores


# a request may take its own route or any more general one: flat -> native -> python
_CAN_TAKE = {Route.FLAT: [Route.FLAT, Route.NATIVE, Route.PYTHON], Route.NATIVE: [Route.NATIVE, Route.PYTHON]}


@pytest.mark.slow
@settings(max_examples=90, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests())
def test_every_route_stores_identical_rows(route_stores: dict[Route, Store], case: tuple) -> None:
    signal, body = case
    for store in route_stores.values():  # a fresh start, also after a failed example that hypothesis shrinks
        for table in TABLES:
            store.call(lambda c, s=store, t=table: c.command(f"TRUNCATE TABLE {s.database}.{t}"))
    result = decode_protobuf(signal, body)
    if result.payload is None:
        return
    routes = _CAN_TAKE.get(result.payload.route, [Route.PYTHON])
    for route in routes:
        store = route_stores[route]
        payload = Payload(signal, route, result.payload.body, result.payload.items)
        store.call(lambda c, s=store, p=payload: write_payloads(c, s.opts, [p]))
    tables = [
        t
        for t in TABLES
        if t.startswith(f"otel_{signal.value}") or (signal is Signal.METRICS and t.startswith("otel_metrics"))
    ]
    for table in tables:
        got = {
            r: route_stores[r].call(lambda c, s=route_stores[r], t=table: tsv_rows(c, s.database, t)) for r in routes
        }
        assert all(rows == got[Route.PYTHON] for rows in got.values()), (table, list(got))
    first = route_stores[routes[0]]
    stored = sum(len(first.call(lambda c, t=t: tsv_rows(c, first.database, t))) for t in tables if "trace_id" not in t)
    assert stored == result.payload.items
