"""The real OpenTelemetry SDK span exporters (HTTP/protobuf and gRPC) against a running collector.

Every span field is read back from ClickHouse and compared with what the SDK recorded.
"""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from tests.collector.conftest import LiveCollector

ATTRS = {
    "str": "hello",
    "bool": True,
    "int": 42,
    "neg": -7,
    "float": 3.25,
    "strs": ["a", "b"],
    "ints": [1, 2],
    "bools": [True, False],
    "floats": [1.5, 2.25],
}
ATTRS_STORED = {
    "str": "hello",
    "bool": "true",
    "int": "42",
    "neg": "-7",
    "float": "3.25",
    "strs": '["a","b"]',
    "ints": "[1,2]",
    "bools": "[true,false]",
    "floats": "[1.5,2.25]",
}
KIND_NAMES = {
    SpanKind.INTERNAL: "Internal",
    SpanKind.SERVER: "Server",
    SpanKind.CLIENT: "Client",
    SpanKind.PRODUCER: "Producer",
    SpanKind.CONSUMER: "Consumer",
}


def exporter_for(live: LiveCollector, protocol: str):
    if protocol == "http":
        return HttpSpanExporter(endpoint=f"{live.http_url}/v1/traces")
    return GrpcSpanExporter(endpoint=live.grpc_target, insecure=True)


def record_spans(exporter) -> list:
    memory = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "checkout", "deployment.environment": "test", "host.cores": 2})
    )
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("shop.cart", "1.2.3")
    with tracer.start_as_current_span("linked-origin", kind=SpanKind.PRODUCER) as origin:
        origin_ctx = origin.get_span_context()
    with tracer.start_as_current_span("POST /cart", kind=SpanKind.SERVER, attributes=ATTRS) as root:
        root.add_event("cart.loaded", {"items": 3, "user": "u1"})
        root.add_event("no-attrs")
        with tracer.start_as_current_span(
            "SELECT cart", kind=SpanKind.CLIENT, links=[Link(origin_ctx, {"link.kind": "follows"})]
        ) as child:
            child.set_status(Status(StatusCode.ERROR, "db timeout"))
            with tracer.start_as_current_span("consume", kind=SpanKind.CONSUMER) as leaf:
                leaf.set_status(Status(StatusCode.OK))
        with tracer.start_as_current_span("compute"):
            pass
    provider.shutdown()
    return list(memory.get_finished_spans())


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_every_span_field_is_stored(live: LiveCollector, protocol: str) -> None:
    spans = record_spans(exporter_for(live, protocol))
    rows = live.query(
        "SELECT Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, "
        "ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage, "
        "Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId, Links.SpanId, Links.TraceState, "
        "Links.Attributes, toUnixTimestamp64Nano(Timestamp) FROM {db}.otel_traces"
    )
    assert len(rows) == len(spans) == 5
    by_id = {r[2]: r for r in rows}
    for span in spans:
        ctx = span.get_span_context()
        row = by_id[f"{ctx.span_id:016x}"]
        assert row[1] == f"{ctx.trace_id:032x}"
        assert row[3] == (f"{span.parent.span_id:016x}" if span.parent else "")
        assert row[4] == ""
        assert row[5] == span.name
        assert row[6] == KIND_NAMES[span.kind]
        assert row[7] == "checkout"
        assert row[8] == {k: str(v) for k, v in span.resource.attributes.items()} | {"host.cores": "2"}
        assert (row[9], row[10]) == ("shop.cart", "1.2.3")
        assert row[12] == span.end_time - span.start_time
        assert row[22] == span.start_time
        assert (
            row[13]
            == {StatusCode.UNSET: "Unset", StatusCode.OK: "Ok", StatusCode.ERROR: "Error"}[span.status.status_code]
        )
        assert row[14] == (span.status.description or "")
        assert len(row[15]) == len(span.events)
        assert row[16] == [e.name for e in span.events]
        assert [int(t.timestamp() * 1e6) for t in row[15]] == [e.timestamp // 1000 for e in span.events]
        assert row[18] == [f"{link.context.trace_id:032x}" for link in span.links]
        assert row[19] == [f"{link.context.span_id:016x}" for link in span.links]
    root = by_id[f"{next(s for s in spans if s.name == 'POST /cart').context.span_id:016x}"]
    assert root[11] == ATTRS_STORED
    assert root[17] == [{"items": "3", "user": "u1"}, {}]
    child = next(r for r in rows if r[5] == "SELECT cart")
    assert child[21] == [{"link.kind": "follows"}]
    assert child[20] == [""]


def test_trace_lookup_table_covers_each_trace(live: LiveCollector) -> None:
    spans = record_spans(exporter_for(live, "http"))
    trace_ids = {f"{s.context.trace_id:032x}" for s in spans}
    rows = live.query("SELECT TraceId, min(Start), max(End) FROM {db}.otel_traces_trace_id_ts GROUP BY TraceId")
    assert {r[0] for r in rows} == trace_ids
    for trace_id, start, end in rows:
        times = [s.start_time for s in spans if f"{s.context.trace_id:032x}" == trace_id]
        assert int(start.timestamp()) == min(times) // 10**9
        assert int(end.timestamp()) <= max(times) // 10**9 + 1
