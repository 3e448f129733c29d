"""The fast path: ClickHouse decodes OTLP protobuf and the views store every field exactly."""

from __future__ import annotations

import pytest
from google.protobuf.message import Message

from collector.otlp.decode import decode_protobuf
from collector.otlp.model import OTLP_ROUTES, Payload, Route, Signal
from storage import Store
from storage.schema import TABLES
from storage.writer import write_payloads
from tests.storage.otlp_samples import (
    EVERY_TYPE_TEXT,
    PARENT,
    SPAN,
    T0,
    TRACE,
    log_request,
    metric_request,
    rows,
    skip_indexes_after_merge,
    trace_request,
    tsv_rows,
)

# the samples hold every AnyValue type, arrays and kvlists included: what these two routes store exactly
EXACT_ROUTES = [Route.NATIVE, Route.PYTHON]


def write(store: Store, signal: Signal, body: bytes, route: Route = Route.NATIVE, token: str | None = None) -> None:
    payload = Payload(signal, route, body, 1)
    store.call(lambda c: write_payloads(c, store.opts, [payload], dedup_token=token))


@pytest.mark.parametrize("route", EXACT_ROUTES)
def test_spans_store_every_field(store: Store, route: Route) -> None:
    result = decode_protobuf(Signal.TRACES, trace_request().SerializeToString())
    assert result.payload is not None and result.payload.route is Route.NATIVE and result.payload.items == 2
    write(store, Signal.TRACES, result.payload.body, route)
    span, root = store.call(lambda c: rows(c, store.database, "otel_traces", order="SpanName"))
    assert span == {
        "Timestamp": T0,
        "TraceId": TRACE.hex(),
        "SpanId": SPAN.hex(),
        "ParentSpanId": PARENT.hex(),
        "TraceState": "k=v",
        "SpanName": "GET /x",
        "SpanKind": "Client",
        "ServiceName": "checkout",
        "ResourceAttributes": {"host.name": "h1", "service.name": "checkout"},
        "ScopeName": "io.test",
        "ScopeVersion": "1.2.3",
        "SpanAttributes": EVERY_TYPE_TEXT,
        "Duration": 1500,
        "StatusCode": "Error",
        "StatusMessage": "boom",
        "Events.Timestamp": [T0 + 10],
        "Events.Name": ["exception"],
        "Events.Attributes": [{"exception.type": "ValueError", "n": "3"}],
        "Links.TraceId": [bytes(range(16)).hex()],
        "Links.SpanId": [bytes(range(1, 9)).hex()],
        "Links.TraceState": ["l=1"],
        "Links.Attributes": [{"why": "retry"}],
    }
    assert list(span["SpanAttributes"]) == sorted(EVERY_TYPE_TEXT)  # keys stored sorted
    assert (root["ParentSpanId"], root["SpanKind"], root["StatusCode"], root["Duration"]) == (
        "",
        "Server",
        "Unset",
        5005,
    )
    # the trace-id lookup view fires although otel_traces is itself filled by a view (chained views)
    lookup = store.call(
        lambda c: (
            c.query(
                f"SELECT TraceId, min(Start), max(End) FROM {store.database}.otel_traces_trace_id_ts GROUP BY TraceId"
            ).result_rows
        )
    )
    assert [(t, int(s.timestamp()), int(e.timestamp())) for t, s, e in lookup] == [
        (TRACE.hex(), (T0 - 5) // 10**9, (T0 + 5000) // 10**9)
    ]


@pytest.mark.parametrize("route", EXACT_ROUTES)
def test_logs_store_every_field(store: Store, route: Route) -> None:
    result = decode_protobuf(Signal.LOGS, log_request().SerializeToString())
    assert result.payload is not None and result.payload.items == 2
    write(store, Signal.LOGS, result.payload.body, route)
    first, second = store.call(lambda c: rows(c, store.database, "otel_logs", order="Timestamp"))
    common = {
        "ServiceName": "api",
        "ResourceSchemaUrl": "https://res",
        "ResourceAttributes": {"service.name": "api"},
        "ScopeSchemaUrl": "https://scope",
        "ScopeName": "logger",
        "ScopeVersion": "9",
        "ScopeAttributes": {"scope.attr": "1"},
    }
    assert first == {
        **common,
        "Timestamp": T0,
        "TraceId": TRACE.hex(),
        "SpanId": SPAN.hex(),
        "TraceFlags": 1,
        "SeverityText": "ERROR",
        "SeverityNumber": 17,
        "Body": "disk full",
        "LogAttributes": {"n": "2", "user": "u1"},
        "EventName": "ev",
    }
    assert second == {
        **common,
        "Timestamp": T0 + 99,  # no time_unix_nano: the observed time
        "TraceId": "",
        "SpanId": "",
        "TraceFlags": 0,
        "SeverityText": "INFO",
        "SeverityNumber": 9,
        "Body": '{"msg":"hi","n":[1,2]}',
        "LogAttributes": {},
        "EventName": "",
    }


METRIC_COMMON = {
    "ResourceAttributes": {"service.name": "billing"},
    "ResourceSchemaUrl": "https://res",
    "ScopeName": "meter",
    "ScopeVersion": "2",
    "ScopeAttributes": {"sa": "x"},
    "ScopeDroppedAttrCount": 4,
    "ScopeSchemaUrl": "https://scope",
    "ServiceName": "billing",
}
NO_EXEMPLARS = {f"Exemplars.{n}": [] for n in ("FilteredAttributes", "TimeUnix", "Value", "SpanId", "TraceId")}


@pytest.mark.parametrize("route", EXACT_ROUTES)
def test_metrics_store_every_kind(store: Store, route: Route) -> None:
    result = decode_protobuf(Signal.METRICS, metric_request().SerializeToString())
    assert result.payload is not None and result.payload.items == 6
    write(store, Signal.METRICS, result.payload.body, route)

    def table(kind: str) -> list[dict]:
        return store.call(lambda c: rows(c, store.database, f"otel_metrics_{kind}", order="TimeUnix"))

    point = {"StartTimeUnix": 0, "TimeUnix": T0, "Flags": 0, "Attributes": {}, "MetricDescription": ""}
    assert table("gauge") == [{
        **METRIC_COMMON, **point, "MetricName": "temp", "MetricDescription": "temperature", "MetricUnit": "C",
        "Attributes": {"floor": "2", "room": "a"}, "StartTimeUnix": T0 - 1000, "Flags": 1, "Value": 21.0,
        "Exemplars.FilteredAttributes": [{"f": "1"}, {}], "Exemplars.TimeUnix": [T0 - 3, T0 - 2],
        "Exemplars.Value": [20.5, 7.0], "Exemplars.SpanId": [SPAN.hex(), ""], "Exemplars.TraceId": [TRACE.hex(), ""],
    }]  # fmt: skip
    assert table("sum") == [{
        **METRIC_COMMON, **point, **NO_EXEMPLARS, "MetricName": "requests", "MetricUnit": "1",
        "StartTimeUnix": T0 - 1000, "Value": 12.5, "AggregationTemporality": 2, "IsMonotonic": True,
    }]  # fmt: skip
    histogram = {**METRIC_COMMON, **point, **NO_EXEMPLARS, "MetricName": "latency", "MetricUnit": "ms"}
    assert table("histogram") == [
        {
            **histogram, "Count": 6, "Sum": 30.5, "BucketCounts": [1, 2, 3], "ExplicitBounds": [1.0, 10.0],
            "Exemplars.FilteredAttributes": [{}], "Exemplars.TimeUnix": [T0], "Exemplars.Value": [3.0],
            "Exemplars.SpanId": [SPAN.hex()], "Exemplars.TraceId": [TRACE.hex()],
            "Min": 0.5, "Max": 20.0, "AggregationTemporality": 1,
        },
        {
            **histogram, "TimeUnix": T0 + 1, "Count": 1, "Sum": 0.0, "BucketCounts": [], "ExplicitBounds": [],
            "Min": 0.0, "Max": 0.0, "AggregationTemporality": 1,
        },
    ]  # fmt: skip
    assert table("exponential_histogram") == [{
        **METRIC_COMMON, **point, "MetricName": "size", "MetricUnit": "By", "Count": 9, "Sum": 99.0,
        "Scale": -2, "ZeroCount": 1, "PositiveOffset": 3, "PositiveBucketCounts": [4, 2],
        "NegativeOffset": -1, "NegativeBucketCounts": [2], "Exemplars.FilteredAttributes": [{}],
        "Exemplars.TimeUnix": [T0], "Exemplars.Value": [5.0], "Exemplars.SpanId": [""],
        "Exemplars.TraceId": [""], "Min": 1.0, "Max": 50.0, "AggregationTemporality": 2,
    }]  # fmt: skip
    assert table("summary") == [{
        **METRIC_COMMON, **point, "MetricName": "rt", "MetricUnit": "s", "Attributes": {"route": "/"},
        "Flags": 1, "Count": 10, "Sum": 5.5, "ValueAtQuantiles.Quantile": [0.5, 0.99],
        "ValueAtQuantiles.Value": [0.4, 1.9],
    }]  # fmt: skip


@pytest.mark.parametrize("route", OTLP_ROUTES)
def test_dedup_token_makes_a_replay_store_nothing(store: Store, route: Route) -> None:
    """A replayed batch (write-ahead log) with the same token is deduplicated through the views."""
    traces = decode_protobuf(Signal.TRACES, trace_request().SerializeToString()).payload
    logs = decode_protobuf(Signal.LOGS, log_request().SerializeToString()).payload
    metrics = decode_protobuf(Signal.METRICS, metric_request().SerializeToString()).payload
    assert traces is not None and logs is not None and metrics is not None
    for _ in range(2):
        store.call(
            lambda c: write_payloads(
                c,
                store.opts,
                [
                    traces.__class__(Signal.TRACES, route, traces.body, 2),
                    logs.__class__(Signal.LOGS, route, logs.body, 2),
                    metrics.__class__(Signal.METRICS, route, metrics.body, 5),
                ],
                dedup_token="batch-1",
            )
        )

    def count(table: str) -> int:
        return store.call(lambda c: c.query(f"SELECT count() FROM {store.database}.{table}").result_rows[0][0])

    assert (count("otel_traces"), count("otel_logs")) == (2, 2)
    # metrics pass through a second Null table and five chained views; each still deduplicates
    kinds = ("gauge", "sum", "histogram", "exponential_histogram", "summary")
    assert [count(f"otel_metrics_{k}") for k in kinds] == [1, 1, 2, 1, 1]
    # otel_traces_trace_id_ts has no deduplication window, so a replay may add a copy of its row;
    # harmless, since readers take min(Start) and max(End) per trace id
    lookup = store.call(
        lambda c: c.query(f"SELECT uniqExact(TraceId, Start, End) FROM {store.database}.otel_traces_trace_id_ts")
    )
    assert lookup.result_rows[0][0] == 1
    store.call(
        lambda c: write_payloads(
            c, store.opts, [traces.__class__(Signal.TRACES, route, traces.body, 2)], dedup_token="batch-2"
        )
    )
    assert count("otel_traces") == 4


def test_concatenated_bodies_are_one_batch(store: Store) -> None:
    body = decode_protobuf(Signal.TRACES, trace_request().SerializeToString()).payload.body  # type: ignore[union-attr]
    payloads = [Payload(Signal.TRACES, Route.NATIVE, body, 2)] * 3
    store.call(lambda c: write_payloads(c, store.opts, payloads))
    assert store.call(lambda c: c.query(f"SELECT count() FROM {store.database}.otel_traces").result_rows[0][0]) == 6


def _drop_containers(message: Message) -> None:
    """Remove every array and kvlist value (attributes, log bodies): what is left takes the flat route."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        items = list(value) if field.is_repeated else [value]
        if field.message_type.name == "KeyValue":
            keep = [kv for kv in items if kv.value.WhichOneof("value") not in ("array_value", "kvlist_value")]
            del value[:]
            value.extend(keep)
        elif field.message_type.name == "AnyValue" and value.WhichOneof("value") in ("array_value", "kvlist_value"):
            value.string_value = "was a container"
        else:
            for item in items:
                _drop_containers(item)


@pytest.mark.parametrize(
    ("signal", "sample"), [(Signal.TRACES, trace_request), (Signal.LOGS, log_request), (Signal.METRICS, metric_request)]
)
def test_flat_route_stores_exactly_what_the_python_route_stores(store: Store, signal: Signal, sample) -> None:
    request = sample()
    _drop_containers(request)
    result = decode_protobuf(signal, request.SerializeToString())
    assert result.payload is not None and result.payload.route is Route.FLAT
    tables = [t for t in TABLES if t.startswith(f"otel_{signal.value}")]
    stored = {}
    for route in (Route.FLAT, Route.PYTHON):
        write(store, signal, result.payload.body, route)
        stored[route] = {t: store.call(lambda c, t=t: tsv_rows(c, store.database, t)) for t in tables}
        for t in tables:
            store.call(lambda c, t=t: c.command(f"TRUNCATE TABLE {store.database}.{t}"))
    assert stored[Route.FLAT] == stored[Route.PYTHON]
    rows_stored = sum(len(v) for t, v in stored[Route.FLAT].items() if "trace_id" not in t)
    assert rows_stored == result.payload.items > 0


def test_skip_indexes_are_built_at_the_first_merge(store: Store) -> None:
    """The OTLP insert leaves the bloom-filter skip indexes to the first merge, which builds them."""
    for k in range(2):
        result = decode_protobuf(Signal.TRACES, trace_request().SerializeToString())
        assert result.payload is not None
        write(store, Signal.TRACES, result.payload.body, result.payload.route, token=f"t{k}")
    before, after = skip_indexes_after_merge(store, "otel_traces")
    assert before == [0, 0] and after > 0
    found = f"SELECT count() FROM {store.database}.otel_traces WHERE TraceId = '{TRACE.hex()}'"
    assert store.call(lambda c: c.query(found).result_rows) == [(4,)]
