"""decode_protobuf: readable or InvalidRequest, bad items dropped and counted, the route chosen."""

from __future__ import annotations

import math

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collector.otlp.decode import decode_message, decode_protobuf
from collector.otlp.model import InvalidRequest, Route, Signal
from storage.rows.attributes import attributes, format_double, hex_id, text
from tests.storage.otlp_samples import SPAN, T0, TRACE, fill, log_request, metric_request, trace_request


@pytest.mark.parametrize("body", [b"\xff\xff\xff", trace_request().SerializeToString()[:-3], b"\x0a\x05ab"])
def test_undecodable_bytes_are_an_invalid_request(body: bytes) -> None:
    with pytest.raises(InvalidRequest, match="not a valid OTLP/protobuf ExportTraceServiceRequest"):
        decode_protobuf(Signal.TRACES, body)


def test_valid_request_keeps_its_bytes_and_counts_items() -> None:
    body = trace_request().SerializeToString()
    result = decode_protobuf(Signal.TRACES, body)
    assert result.payload is not None
    assert (result.payload.body, result.payload.items, result.payload.route, result.rejected) == (
        body, 2, Route.NATIVE, 0)  # fmt: skip
    assert decode_protobuf(Signal.LOGS, log_request().SerializeToString()).payload.items == 2  # type: ignore[union-attr]
    assert decode_protobuf(Signal.METRICS, metric_request().SerializeToString()).payload.items == 6  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("trace_id", b"\x01" * 15, "trace_id must be 16 bytes"),
        ("trace_id", bytes(16), "trace_id must be 16 bytes"),
        ("trace_id", b"", "trace_id must be 16 bytes"),
        ("span_id", b"\x01" * 9, "span_id must be 8 bytes"),
        ("span_id", bytes(8), "span_id must be 8 bytes"),
        ("parent_span_id", b"\x01" * 4, "parent_span_id must be empty or 8 bytes"),
    ],
)
def test_bad_spans_are_dropped_and_counted(field: str, value: bytes, why: str) -> None:
    request = trace_request()
    setattr(request.resource_spans[0].scope_spans[0].spans[0], field, value)
    result = decode_protobuf(Signal.TRACES, request.SerializeToString())
    assert result.rejected == 1 and why in result.message and result.message.startswith("rejected 1 span;")
    kept = ExportTraceServiceRequest.FromString(result.payload.body)  # type: ignore[union-attr]
    assert [s.name for s in kept.resource_spans[0].scope_spans[0].spans] == ["root"]


def test_a_request_with_only_bad_items_has_no_payload() -> None:
    request = ExportLogsServiceRequest()
    request.resource_logs.add().scope_logs.add().log_records.add(trace_id=b"\x01")
    result = decode_protobuf(Signal.LOGS, request.SerializeToString())
    assert (result.payload, result.rejected) == (None, 1)
    assert "trace_id must be empty or 16 bytes" in result.message


def test_nameless_metrics_reject_their_points() -> None:
    request = metric_request()
    request.resource_metrics[0].scope_metrics[0].metrics[0].name = ""
    result = decode_protobuf(Signal.METRICS, request.SerializeToString())
    assert (result.payload.items, result.rejected) == (5, 1)  # type: ignore[union-attr]


def _with_span_attribute(value: object) -> bytes:
    """One span whose only attribute holds `value`."""
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(trace_id=TRACE, span_id=SPAN, name="s")
    span.start_time_unix_nano = T0
    fill(span.attributes.add(key="v").value, value)
    return request.SerializeToString()


@pytest.mark.parametrize(
    ("value", "route"),
    [
        ("scalar", Route.FLAT),  # every value a scalar: the lean staging types
        ([1, 2], Route.NATIVE),
        ([1, [2, 3]], Route.NATIVE),  # containers in a container: what the staging schema holds
        ({"a": {"b": 1}}, Route.NATIVE),
        ([1, [2, [3]]], Route.PYTHON),
        ({"a": {"b": {"c": 1}}}, Route.PYTHON),
        ([[]], Route.NATIVE),
        ([[[]]], Route.PYTHON),
    ],
)
def test_each_request_takes_the_leanest_route_that_holds_its_values(value: object, route: Route) -> None:
    body = _with_span_attribute(value)
    result = decode_protobuf(Signal.TRACES, body)
    assert result.payload is not None and result.payload.route is route and result.payload.body == body


def test_corrupt_bytes_inside_a_container_are_an_invalid_request() -> None:
    """The flat probe does not look inside arrays; the nested parse finds the fault and refuses it."""
    body = _with_span_attribute(["PLACEHOLDER"]).replace(
        b"\n\x0bPLACEHOLDER",
        b"\x18" + b"\xff" * 12,  # an int_value varint longer than 10 bytes
    )
    with pytest.raises(InvalidRequest, match="not a valid OTLP/protobuf ExportTraceServiceRequest"):
        decode_protobuf(Signal.TRACES, body)


def _field(number: int, payload: bytes) -> bytes:
    """Encode a length-delimited field by hand (tag, length, bytes); small numbers and lengths only."""
    assert number < 16 and len(payload) < 128
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_non_canonical_bytes_are_reserialized_for_clickhouse() -> None:
    """Two oneof members on the wire: protobuf keeps the last, so ClickHouse must get canonical bytes."""
    two_members = AnyValue(string_value="first").SerializeToString() + AnyValue(int_value=7).SerializeToString()
    span = Span(trace_id=TRACE, span_id=SPAN, name="s", start_time_unix_nano=1).SerializeToString()
    span += _field(9, _field(1, b"x") + _field(2, two_members))
    body = _field(1, _field(2, _field(2, span)))
    result = decode_protobuf(Signal.TRACES, body)
    assert result.payload is not None and result.payload.body != body
    kept = ExportTraceServiceRequest.FromString(result.payload.body).resource_spans[0].scope_spans[0].spans[0]
    assert kept.attributes[0].value == AnyValue(int_value=7)


def test_decode_message_takes_a_parsed_request() -> None:
    result = decode_message(Signal.TRACES, trace_request())
    assert result.payload is not None and result.payload.items == 2 and result.payload.route is Route.NATIVE


@pytest.mark.parametrize(
    ("x", "expected"),
    [(0.1, "0.1"), (1e21, "1e21"), (1e20, "100000000000000000000"), (1e-7, "1e-7"), (1e-6, "0.000001"),
     (-0.0, "-0"), (0.0, "0"), (1.0, "1"), (math.nan, "nan"), (-math.inf, "-inf"), (1.5e300, "1.5e300"),
     (5e-324, "5e-324"), (-123.25, "-123.25")],
)  # fmt: skip
def test_doubles_render_as_clickhouse_does(x: float, expected: str) -> None:
    assert format_double(x) == expected


def test_attribute_rule() -> None:
    def value(v: object) -> AnyValue:
        a = AnyValue()
        fill(a, v)
        return a

    assert text(value([1, "a/\n", True, b"\x00", None, -0.0, math.inf, {"k": 2}])) == (
        '[1,"a\\/\\n",true,"AA==",null,-0,"inf",{"k":2}]'
    )
    assert text(value(None)) == "" and text(value(b"\xff")) == "/w=="
    request = trace_request()
    kvs = request.resource_spans[0].resource.attributes
    kvs.add(key="a").value.string_value = "1"
    kvs.add(key="a").value.string_value = "2"
    assert next(iter(attributes(kvs).items())) == ("a", "2")  # sorted, last value wins
    assert (hex_id(TRACE), hex_id(bytes(8)), hex_id(b"")) == (TRACE.hex(), "", "")
