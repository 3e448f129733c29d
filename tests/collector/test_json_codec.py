"""OTLP/JSON: the official examples, each encoding rule, each error with its message, round trips."""

from __future__ import annotations

import base64
import contextlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from collector.otlp import json_codec
from collector.otlp.json_codec import (
    REQUEST_TYPES,
    encode_json,
    encode_response,
    encode_status,
    parse_json,
)
from collector.otlp.json_reader import CUT_DEPTH, HEX_ID_FIELDS
from collector.otlp.limits import depth
from collector.otlp.model import InvalidRequest, Signal
from otelhouse.config.validate import MAX_ANYVALUE_DEPTH

DATA = Path(__file__).parent / "data" / "otlp_json"
EXAMPLES = {
    "trace.json": Signal.TRACES,
    "metrics.json": Signal.METRICS,
    "logs.json": Signal.LOGS,
    "events.json": Signal.LOGS,
}
TRACE_ID = bytes.fromhex("5B8EFFF798038103D269B633813FC60C")
T0 = 1544712660300000000


def example(name: str) -> Message:
    return parse_json(EXAMPLES[name], (DATA / name).read_bytes())


def attrs(key_values: Any) -> dict[str, Any]:
    """Flatten KeyValues to {key: the Python value of the set AnyValue member}."""
    return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in key_values}


def spans(document: dict[str, Any]) -> bytes:
    """Wrap one span's JSON in a trace request body."""
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [document]}]}]}).encode()


def one_span(document: dict[str, Any]) -> Span:
    return parse_json(Signal.TRACES, spans(document)).resource_spans[0].scope_spans[0].spans[0]


def one_value(value: Any) -> AnyValue:
    """Parse a span whose one attribute has this AnyValue JSON."""
    return one_span({"attributes": [{"key": "k", "value": value}]}).attributes[0].value


def rejected(signal: Signal, body: bytes | str) -> str:
    with pytest.raises(InvalidRequest) as caught:
        parse_json(signal, body.encode() if isinstance(body, str) else body)
    return str(caught.value)


def hex_to_base64(node: Any) -> Any:
    """Turn OTLP/JSON into plain protobuf JSON, for json_format as an independent reference."""
    if isinstance(node, dict):
        return {
            key: base64.b64encode(bytes.fromhex(value)).decode()
            if key in ("traceId", "spanId", "parentSpanId")
            else hex_to_base64(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [hex_to_base64(item) for item in node]
    return node


# --- the official examples ------------------------------------------------------------------------


def test_trace_example_fields() -> None:
    request = example("trace.json")
    resource_spans = request.resource_spans[0]
    assert attrs(resource_spans.resource.attributes) == {"service.name": "my.service"}
    scope_spans = resource_spans.scope_spans[0]
    assert (scope_spans.scope.name, scope_spans.scope.version) == ("my.library", "1.0.0")
    assert attrs(scope_spans.scope.attributes) == {"my.scope.attribute": "some scope attribute"}
    span = scope_spans.spans[0]
    assert span.trace_id == TRACE_ID
    assert span.span_id == bytes.fromhex("EEE19B7EC3C1B174")
    assert span.parent_span_id == bytes.fromhex("EEE19B7EC3C1B173")
    assert span.name == "I'm a server span"
    assert (span.start_time_unix_nano, span.end_time_unix_nano) == (1544712660000000000, 1544712661000000000)
    assert span.kind == Span.SPAN_KIND_SERVER
    assert attrs(span.attributes) == {"my.span.attr": "some value"}


def test_metrics_example_has_every_kind_with_its_fields() -> None:
    scope = example("metrics.json").resource_metrics[0].scope_metrics[0]
    assert [(m.name, m.WhichOneof("data")) for m in scope.metrics] == [
        ("my.counter", "sum"),
        ("my.gauge", "gauge"),
        ("my.histogram", "histogram"),
        ("my.exponential.histogram", "exponential_histogram"),
    ]
    counter, gauge, histogram, exponential = scope.metrics
    assert (counter.unit, counter.description) == ("1", "I am a Counter")
    assert counter.sum.aggregation_temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
    assert counter.sum.is_monotonic
    point = counter.sum.data_points[0]
    assert (point.WhichOneof("value"), point.as_double) == ("as_double", 5.0)
    assert (point.start_time_unix_nano, point.time_unix_nano) == (T0, T0)
    assert attrs(point.attributes) == {"my.counter.attr": "some value"}
    assert gauge.gauge.data_points[0].as_double == 10.0
    assert gauge.gauge.data_points[0].start_time_unix_nano == 0

    point = histogram.histogram.data_points[0]
    assert (point.count, point.sum, point.min, point.max) == (2, 2.0, 0.0, 2.0)
    assert point.HasField("sum") and point.HasField("min") and point.HasField("max")
    assert (list(point.bucket_counts), list(point.explicit_bounds)) == ([1, 1], [1.0])

    point = exponential.exponential_histogram.data_points[0]
    assert exponential.exponential_histogram.aggregation_temporality == 1
    assert (point.count, point.sum, point.scale, point.zero_count, point.zero_threshold) == (3, 10.0, 0, 1, 0.0)
    assert (point.positive.offset, list(point.positive.bucket_counts)) == (1, [0, 2])
    assert not point.HasField("negative")
    assert (point.min, point.max) == (0.0, 5.0)
    assert attrs(point.attributes) == {"my.exponential.histogram.attr": "some value"}


def test_logs_example_has_ids_severity_and_every_attribute_type() -> None:
    record = example("logs.json").resource_logs[0].scope_logs[0].log_records[0]
    assert (record.time_unix_nano, record.observed_time_unix_nano) == (T0, T0)
    assert (record.severity_number, record.severity_text) == (SeverityNumber.SEVERITY_NUMBER_INFO2, "Information")
    assert (record.trace_id, record.span_id) == (TRACE_ID, bytes.fromhex("EEE19B7EC3C1B174"))
    assert record.body.string_value == "Example log record"
    values = {kv.key: kv.value for kv in record.attributes}
    assert values["string.attribute"].string_value == "some string"
    assert values["boolean.attribute"].WhichOneof("value") == "bool_value"
    assert values["boolean.attribute"].bool_value is True
    assert values["int.attribute"].int_value == 10
    assert values["double.attribute"].double_value == 637.704
    assert [v.string_value for v in values["array.attribute"].array_value.values] == ["many", "values"]
    assert attrs(values["map.attribute"].kvlist_value.values) == {"some.map.key": "some value"}


def test_events_example_has_event_name_and_map_body() -> None:
    record = example("events.json").resource_logs[0].scope_logs[0].log_records[0]
    assert record.event_name == "browser.page_view"
    assert record.severity_number == SeverityNumber.SEVERITY_NUMBER_INFO
    assert record.trace_id == b""
    assert attrs(record.body.kvlist_value.values) == {
        "type": 0,
        "url": "https://www.guidgenerator.com/online-guid-generator.aspx",
        "referrer": "https://wwww.google.com",
        "title": "Free Online GUID Generator",
    }
    assert record.body.kvlist_value.values[0].value.WhichOneof("value") == "int_value"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_equal_protobufs_own_json_parser_once_ids_are_base64(name: str) -> None:
    document = json.loads((DATA / name).read_text())
    reference = json_format.ParseDict(hex_to_base64(document), REQUEST_TYPES[EXAMPLES[name]]())
    assert example(name) == reference


# --- the encoding rules ---------------------------------------------------------------------------


def test_ids_are_hex_in_any_case_in_spans_links_logs_and_exemplars() -> None:
    span = one_span(
        {
            "traceId": "0123456789abcdefABCDEF0123456789",
            "spanId": "00000000000000fF",
            "parentSpanId": "1111111111111111",
            "links": [{"traceId": "ff" * 16, "spanId": "ee" * 8}],
        }
    )
    assert span.trace_id == bytes.fromhex("0123456789abcdefabcdef0123456789")
    assert (span.span_id, span.parent_span_id) == (bytes(7) + b"\xff", b"\x11" * 8)
    assert (span.links[0].trace_id, span.links[0].span_id) == (b"\xff" * 16, b"\xee" * 8)
    log = {"traceId": "ab" * 16, "spanId": "cd" * 8}
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": [log]}]}]}
    record = parse_json(Signal.LOGS, json.dumps(body).encode()).resource_logs[0].scope_logs[0].log_records[0]
    assert (record.trace_id, record.span_id) == (b"\xab" * 16, b"\xcd" * 8)
    exemplar = {"traceId": "01" * 16, "spanId": "02" * 8, "asInt": "7"}
    body = {
        "resourceMetrics": [{"scopeMetrics": [{"metrics": [{"gauge": {"dataPoints": [{"exemplars": [exemplar]}]}}]}]}]
    }
    parsed = parse_json(Signal.METRICS, json.dumps(body).encode())
    got = parsed.resource_metrics[0].scope_metrics[0].metrics[0].gauge.data_points[0].exemplars[0]
    assert (got.trace_id, got.span_id, got.as_int) == (b"\x01" * 16, b"\x02" * 8, 7)


def test_well_formed_hex_of_the_wrong_length_is_kept_for_per_item_validation() -> None:
    span = one_span({"traceId": "abcd", "spanId": "", "parentSpanId": "00" * 9})
    assert (span.trace_id, span.span_id, span.parent_span_id) == (b"\xab\xcd", b"", bytes(9))


def test_bytes_values_are_base64_in_any_alphabet_with_or_without_padding() -> None:
    raw = b"\xfb\xff\x00bytes"
    standard = base64.b64encode(raw).decode()
    assert "+" in standard or "/" in standard
    for text in (standard, base64.urlsafe_b64encode(raw).decode(), standard.rstrip("=")):
        assert one_value({"bytesValue": text}).bytes_value == raw
    assert one_value({"bytesValue": ""}).WhichOneof("value") == "bytes_value"


def test_snake_case_keys_give_the_same_message_as_camel_case() -> None:
    camel = {"traceId": "aa" * 16, "startTimeUnixNano": "5", "droppedAttributesCount": 2, "traceState": "x=1"}
    snake = {"trace_id": "aa" * 16, "start_time_unix_nano": "5", "dropped_attributes_count": 2, "trace_state": "x=1"}
    assert one_span(camel) == one_span(snake)
    body = {"resource_spans": [{"scope_spans": [{"spans": [camel]}], "schema_url": "s"}]}
    assert parse_json(Signal.TRACES, json.dumps(body).encode()).resource_spans[0].schema_url == "s"


@pytest.mark.parametrize("kind", [2, "2", 2.0, "SPAN_KIND_SERVER"])
def test_enums_accept_numbers_and_names(kind: Any) -> None:
    assert one_span({"kind": kind}).kind == Span.SPAN_KIND_SERVER


def test_enum_names_work_everywhere_and_unknown_numbers_are_kept() -> None:
    span = one_span({"status": {"code": "STATUS_CODE_ERROR", "message": "boom"}, "kind": 99})
    assert (span.status.code, span.status.message, span.kind) == (Status.STATUS_CODE_ERROR, "boom", 99)
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"severityNumber": "SEVERITY_NUMBER_WARN"}]}]}]}
    record = parse_json(Signal.LOGS, json.dumps(body).encode()).resource_logs[0].scope_logs[0].log_records[0]
    assert record.severity_number == SeverityNumber.SEVERITY_NUMBER_WARN


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1544712660300000000", 1544712660300000000),
        (1544712660300000000, 1544712660300000000),
        ("18446744073709551615", 2**64 - 1),
        (0, 0),
        ("1e3", 1000),
        (1e3, 1000),
    ],
)
def test_uint64_accepts_strings_and_numbers(written: Any, expected: int) -> None:
    assert one_span({"startTimeUnixNano": written}).start_time_unix_nano == expected


@pytest.mark.parametrize(
    ("written", "expected"), [("-5", -5), (-5, -5), (str(-(2**63)), -(2**63)), (2**63 - 1, 2**63 - 1)]
)
def test_int64_accepts_strings_and_numbers(written: Any, expected: int) -> None:
    assert one_value({"intValue": written}).int_value == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [(1.5, 1.5), (2, 2.0), ("1.5", 1.5), ("-2e3", -2000.0), ("Infinity", math.inf), ("-Infinity", -math.inf)],
)
def test_doubles_accept_numbers_numeric_strings_and_infinities(written: Any, expected: float) -> None:
    assert one_value({"doubleValue": written}).double_value == expected


def test_double_nan_string() -> None:
    assert math.isnan(one_value({"doubleValue": "NaN"}).double_value)


def test_every_any_value_type_round_trips_through_nested_arrays_and_maps() -> None:
    value = one_value(
        {
            "kvlistValue": {
                "values": [
                    {"key": "s", "value": {"stringValue": "é✓"}},
                    {"key": "b", "value": {"boolValue": False}},
                    {"key": "i", "value": {"intValue": "0"}},
                    {"key": "d", "value": {"doubleValue": 0}},
                    {"key": "y", "value": {"bytesValue": "AAE="}},
                    {"key": "a", "value": {"arrayValue": {"values": [{"arrayValue": {}}, {}]}}},
                    {"key": "m", "value": {"kvlistValue": {}}},
                ]
            }
        }
    )
    got = {kv.key: kv.value for kv in value.kvlist_value.values}
    # Members set to their default value still count as set: JSON said so.
    assert {key: v.WhichOneof("value") for key, v in got.items()} == {
        "s": "string_value",
        "b": "bool_value",
        "i": "int_value",
        "d": "double_value",
        "y": "bytes_value",
        "a": "array_value",
        "m": "kvlist_value",
    }
    assert (got["s"].string_value, got["y"].bytes_value) == ("é✓", b"\x00\x01")
    inner = got["a"].array_value.values
    assert (inner[0].WhichOneof("value"), inner[1].WhichOneof("value")) == ("array_value", None)


def test_unknown_fields_are_ignored_at_every_level() -> None:
    body = {
        "futureTopLevel": {"deep": [1, {"x": None}]},
        "resourceSpans": [
            {
                "resource": {"attributes": [], "newField": True},
                "scopeSpans": [
                    {
                        "spans": [{"name": "s", "notYetInvented": {"a": "b"}, "traceId": "aa" * 16}],
                        "unknownList": [1, 2],
                    }
                ],
            }
        ],
    }
    known = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [{"name": "s", "traceId": "aa" * 16}]}]}]}
    assert parse_json(Signal.TRACES, json.dumps(body).encode()) == parse_json(Signal.TRACES, json.dumps(known).encode())
    assert one_value({"stringValue": "v", "futureValue": 1}).string_value == "v"


def test_null_means_not_set() -> None:
    span = one_span({"name": None, "status": None, "events": None, "traceId": None, "kind": None})
    assert span == Span()
    assert one_value({"stringValue": None, "intValue": "3"}).int_value == 3


@pytest.mark.parametrize("signal", list(Signal))
@pytest.mark.parametrize("body", [b"{}", b" \n{ }\t", b'{"resourceSpans":[],"resourceMetrics":[],"resourceLogs":[]}'])
def test_an_empty_object_is_a_valid_request_with_zero_items(signal: Signal, body: bytes) -> None:
    message = parse_json(signal, body)
    assert type(message) is REQUEST_TYPES[signal]
    assert message.ByteSize() == 0


def test_a_request_for_another_signal_parses_as_empty_because_unknown_keys_are_ignored() -> None:
    assert parse_json(Signal.LOGS, (DATA / "trace.json").read_bytes()).ByteSize() == 0


def test_a_byte_order_mark_is_ignored() -> None:
    assert parse_json(Signal.TRACES, b"\xef\xbb\xbf" + (DATA / "trace.json").read_bytes()) == example("trace.json")


def test_nesting_past_the_binary_protobuf_limit_is_cut_so_the_request_still_reads_back() -> None:
    # 200 arrays deep: far past upb's 100-message limit; containers below CUT_DEPTH are left empty
    value: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(200):
        value = {"arrayValue": {"values": [value]}}
    request = parse_json(Signal.TRACES, spans({"attributes": [{"key": "k", "value": value}]}))
    assert type(request).FromString(request.SerializeToString()) == request
    # still deeper than the highest max_anyvalue_depth allowed, so the item's own check rejects it
    kept = depth(request.resource_spans[0].scope_spans[0].spans[0].attributes[0].value)
    assert MAX_ANYVALUE_DEPTH < kept <= CUT_DEPTH // 2


# --- errors, each with what and where -------------------------------------------------------------


def test_invalid_hex_names_the_path() -> None:
    bad = {"resourceSpans": [{"scopeSpans": [{}, {"spans": [{}, {}, {}, {"traceId": "xyz"}]}]}]}
    assert (
        rejected(Signal.TRACES, json.dumps(bad))
        == "resourceSpans[0].scopeSpans[1].spans[3].traceId: expected 32 hex characters, got 'xyz'"
    )


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ({"spanId": "abc"}, "spanId: expected 16 hex characters, got 'abc'"),
        ({"parentSpanId": "zz" * 8}, "parentSpanId: expected 16 hex characters, got 'zzzzzzzzzzzzzzzz'"),
        ({"traceId": "ab cd"}, "traceId: expected 32 hex characters, got 'ab cd'"),
        ({"traceId": "é" * 2}, "traceId: expected 32 hex characters, got 'éé'"),
        ({"trace_id": 12}, "trace_id: expected 32 hex characters, got 12"),
        ({"links": [{"spanId": "q"}]}, "links[0].spanId: expected 16 hex characters, got 'q'"),
        ({"name": 5}, "name: expected a string, got 5"),
        ({"name": ["a"]}, "name: expected a string, got an array"),
        ({"name": "\ud800"}, "name: string holds an unpaired surrogate escape"),
        ({"kind": "SERVER"}, "kind: expected a SpanKind number or name, got 'SERVER'"),
        ({"kind": 2**31}, "kind: expected a SpanKind number or name, got 2147483648"),
        ({"kind": True}, "kind: expected a SpanKind number or name, got true"),
        ({"startTimeUnixNano": -1}, "startTimeUnixNano: expected an unsigned 64-bit integer, got -1"),
        (
            {"startTimeUnixNano": str(2**64)},
            "startTimeUnixNano: expected an unsigned 64-bit integer, got '18446744073709551616'",
        ),
        ({"startTimeUnixNano": 1.5}, "startTimeUnixNano: expected an unsigned 64-bit integer, got 1.5"),
        ({"startTimeUnixNano": " 1"}, "startTimeUnixNano: expected an unsigned 64-bit integer, got ' 1'"),
        (
            {"startTimeUnixNano": "1e999999999"},
            "startTimeUnixNano: expected an unsigned 64-bit integer, got '1e999999999'",
        ),
        ({"startTimeUnixNano": False}, "startTimeUnixNano: expected an unsigned 64-bit integer, got false"),
        (
            {"droppedAttributesCount": 2**32},
            "droppedAttributesCount: expected an unsigned 32-bit integer, got 4294967296",
        ),
        ({"attributes": {"k": "v"}}, "attributes: expected an array, got an object"),
        ({"attributes": [None]}, "attributes[0]: expected an object, got null"),
        ({"attributes": ["k"]}, "attributes[0]: expected an object, got 'k'"),
        ({"status": "ok"}, "status: expected an object, got 'ok'"),
        (
            {"attributes": [{"value": {"intValue": str(2**63)}}]},
            "attributes[0].value.intValue: expected a 64-bit integer, got '9223372036854775808'",
        ),
        (
            {"attributes": [{"value": {"doubleValue": "abc"}}]},
            "attributes[0].value.doubleValue: expected a number, got 'abc'",
        ),
        (
            {"attributes": [{"value": {"doubleValue": "nan"}}]},
            "attributes[0].value.doubleValue: expected a number, got 'nan'",
        ),
        (
            {"attributes": [{"value": {"doubleValue": 10**400}}]},
            "attributes[0].value.doubleValue: expected a number, got " + repr(10**400)[:45] + "...",
        ),
        (
            {"attributes": [{"value": {"boolValue": "true"}}]},
            "attributes[0].value.boolValue: expected true or false, got 'true'",
        ),
        ({"attributes": [{"value": {"bytesValue": "a"}}]}, "attributes[0].value.bytesValue: expected base64, got 'a'"),
        (
            {"attributes": [{"value": {"bytesValue": "!!!!"}}]},
            "attributes[0].value.bytesValue: expected base64, got '!!!!'",
        ),
        (
            {"attributes": [{"value": {"stringValue": "a", "intValue": 1}}]},
            "attributes[0].value: 'stringValue' and 'intValue' cannot both be set",
        ),
        ({"traceId": "aa" * 16, "trace_id": "aa" * 16}, "'traceId' and 'trace_id' cannot both be set"),
    ],
)
def test_each_bad_value_is_rejected_naming_its_path(span: dict[str, Any], message: str) -> None:
    # A message starting with a quote is about the span object itself, not one of its keys.
    where = ": " if message.startswith("'") else "."
    assert rejected(Signal.TRACES, spans(span)) == f"resourceSpans[0].scopeSpans[0].spans[0]{where}{message}"


def test_a_long_bad_value_is_cut_short_in_the_message() -> None:
    message = rejected(Signal.TRACES, spans({"traceId": "x" * 100_000}))
    assert (
        message
        == "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex characters, got '" + "x" * 44 + "..."
    )


def test_a_bad_metric_value_names_its_path() -> None:
    body = {
        "resourceMetrics": [
            {"scopeMetrics": [{"metrics": [{"histogram": {"dataPoints": [{"bucketCounts": ["1", "x"]}]}}]}]}
        ]
    }
    assert rejected(Signal.METRICS, json.dumps(body)) == (
        "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]:"
        " expected an unsigned 64-bit integer, got 'x'"
    )
    body = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"sum": {}, "gauge": {}}]}]}]}
    assert rejected(Signal.METRICS, json.dumps(body)) == (
        "resourceMetrics[0].scopeMetrics[0].metrics[0]: 'sum' and 'gauge' cannot both be set"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "request body is empty; expected a JSON object"),
        (b" \r\n", "request body is empty; expected a JSON object"),
        (b'{"a": "\xff"}', "request body is not valid UTF-8 (at byte 7)"),
        (b"[]", "request body must be a JSON object, got an array"),
        (b'"resourceSpans"', "request body must be a JSON object, got 'resourceSpans'"),
        (b"null", "request body must be a JSON object, got null"),
        (b"42", "request body must be a JSON object, got 42"),
        (b'{"resourceSpans": [', "request body is not valid JSON: Expecting value: line 1 column 20 (char 19)"),
        (b"{} {}", "request body is not valid JSON: Extra data: line 1 column 4 (char 3)"),
        (b"[" * 100_000, "request body is not valid JSON: nested too deeply"),
        (b'{"a":' * 100_000, "request body is not valid JSON: nested too deeply"),
        (b'{"a": ' + b"9" * 5000 + b"}", "request body is not valid JSON: a number has too many digits"),
        (b'{"resourceSpans": {}}', "resourceSpans: expected an array, got an object"),
        (b'{"resourceSpans": [[]]}', "resourceSpans[0]: expected an object, got an array"),
        (b'{"resource_spans": [{"resource": 1}]}', "resource_spans[0].resource: expected an object, got 1"),
    ],
)
def test_undecodable_bodies_are_rejected_with_a_plain_message(body: bytes, message: str) -> None:
    assert rejected(Signal.TRACES, body) == message


# --- responses and statuses -----------------------------------------------------------------------


def test_responses_are_lower_camel_case_with_int64_as_strings() -> None:
    assert encode_response(ExportTraceServiceResponse()) == b"{}"
    response = ExportTraceServiceResponse()
    response.partial_success.rejected_spans = 2
    response.partial_success.error_message = "2 spans had an empty trace id"
    assert json.loads(encode_response(response)) == {
        "partialSuccess": {"rejectedSpans": "2", "errorMessage": "2 spans had an empty trace id"}
    }
    metrics = ExportMetricsServiceResponse()
    metrics.partial_success.rejected_data_points = 3
    assert encode_response(metrics) == b'{"partialSuccess":{"rejectedDataPoints":"3"}}'
    logs = ExportLogsServiceResponse()
    logs.partial_success.rejected_log_records = 1
    logs.partial_success.error_message = "é"
    assert encode_response(logs) == '{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"é"}}'.encode()


def test_status_is_google_rpc_status_json() -> None:
    from google.rpc.status_pb2 import Status as RpcStatus

    body = encode_status(3, "resourceSpans: expected an array, got an object")
    assert json.loads(body) == {"code": 3, "message": "resourceSpans: expected an array, got an object"}
    assert json_format.Parse(body, RpcStatus()) == RpcStatus(code=3, message=json.loads(body)["message"])
    assert encode_status(0, "") == b"{}"


@pytest.mark.parametrize(("code", "message"), [(3, 'bad "input" é'), (8, ""), (0, "ok")])
def test_status_without_googleapis_common_protos_is_the_same(
    monkeypatch: pytest.MonkeyPatch, code: int, message: str
) -> None:
    expected = encode_status(code, message)
    monkeypatch.setattr(json_codec, "Status", None)
    assert encode_status(code, message) == expected


def test_encode_json_writes_hex_ids_and_integer_enums() -> None:
    request = example("trace.json")
    span = json.loads(encode_json(request))["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert (span["traceId"], span["spanId"], span["parentSpanId"], span["kind"]) == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "eee19b7ec3c1b173",
        2,
    )
    snake = json.loads(encode_json(request, proto_names=True))["resource_spans"][0]["scope_spans"][0]["spans"][0]
    assert snake["parent_span_id"] == "eee19b7ec3c1b173"


# --- properties -----------------------------------------------------------------------------------

_T = FieldDescriptor
_INTS = {
    **dict.fromkeys((_T.TYPE_INT32, _T.TYPE_SINT32, _T.TYPE_SFIXED32, _T.TYPE_ENUM), (-(2**31), 2**31 - 1)),
    **dict.fromkeys((_T.TYPE_UINT32, _T.TYPE_FIXED32), (0, 2**32 - 1)),
    **dict.fromkeys((_T.TYPE_INT64, _T.TYPE_SINT64, _T.TYPE_SFIXED64), (-(2**63), 2**63 - 1)),
    **dict.fromkeys((_T.TYPE_UINT64, _T.TYPE_FIXED64), (0, 2**64 - 1)),
}


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type == _T.TYPE_ENUM:
        named = st.sampled_from([value.number for value in field.enum_type.values])
        return named | st.integers(*_INTS[field.type])
    if field.type in _INTS:
        return st.integers(*_INTS[field.type])
    if field.type == _T.TYPE_BYTES and field.name in HEX_ID_FIELDS:
        return st.sampled_from([8, 16]).flatmap(lambda n: st.binary(min_size=n, max_size=n)) | st.binary(max_size=20)
    if field.type == _T.TYPE_BYTES:
        return st.binary(max_size=20)
    if field.type == _T.TYPE_DOUBLE:
        return st.floats(allow_nan=False)  # NaN != NaN would make equal messages compare unequal
    if field.type == _T.TYPE_BOOL:
        return st.booleans()
    assert field.type == _T.TYPE_STRING, field
    return st.text(max_size=12)


def _fill(draw: st.DrawFn, message: Message, depth: int) -> None:
    """Set a random subset of a message's fields, at most one member per oneof."""
    decided: set[str] = set()
    for field in message.DESCRIPTOR.fields:
        oneof = field.containing_oneof
        if oneof is not None:
            if oneof.name in decided:
                continue
            decided.add(oneof.name)
            member = draw(st.sampled_from([None, *oneof.fields]))
        else:
            member = field if draw(st.booleans()) else None
        if member is not None:
            _fill_field(draw, message, member, depth)


def _fill_field(draw: st.DrawFn, message: Message, field: FieldDescriptor, depth: int) -> None:
    if field.type != _T.TYPE_MESSAGE:
        if field.is_repeated:
            getattr(message, field.name).extend(draw(st.lists(_scalar(field), max_size=4)))
        else:
            setattr(message, field.name, draw(_scalar(field)))
    elif depth < 7:  # deep enough to nest AnyValues a few times without growing without end
        count = draw(st.integers(0, 2)) if field.is_repeated else 1
        for _ in range(count):
            child = getattr(message, field.name).add() if field.is_repeated else getattr(message, field.name)
            child.SetInParent()
            _fill(draw, child, depth + 1)


@st.composite
def requests(draw: st.DrawFn, signal: Signal) -> Message:
    message = REQUEST_TYPES[signal]()
    _fill(draw, message, 0)
    return message


@pytest.mark.parametrize("signal", list(Signal))
@pytest.mark.parametrize("proto_names", [False, True])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_round_trip_through_otlp_json(signal: Signal, proto_names: bool, data: st.DataObject) -> None:
    request = data.draw(requests(signal))
    assert parse_json(signal, encode_json(request, proto_names=proto_names)) == request


@pytest.mark.parametrize("signal", list(Signal))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_agrees_with_protobufs_own_json_parser(signal: Signal, data: st.DataObject) -> None:
    request = data.draw(requests(signal))
    body = encode_json(request)
    reference = json_format.ParseDict(hex_to_base64(json.loads(body)), REQUEST_TYPES[signal]())
    assert parse_json(signal, body) == reference == request


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceSpans",
                    "scopeSpans",
                    "spans",
                    "traceId",
                    "attributes",
                    "value",
                    "arrayValue",
                    "values",
                    "kvlistValue",
                    "key",
                    "kind",
                    "bytesValue",
                    "intValue",
                    "name",
                    "resourceLogs",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(document=st.dictionaries(st.sampled_from(["resourceSpans", "resourceLogs", "y"]), _json_values, max_size=2))
def test_any_json_either_parses_or_raises_invalid_request(document: dict[str, Any]) -> None:
    for signal in (Signal.TRACES, Signal.LOGS):
        try:
            parse_json(signal, json.dumps(document).encode())
        except InvalidRequest as error:
            assert "Traceback" not in str(error) and str(error)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=64))
def test_random_bytes_either_parse_or_raise_invalid_request(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_json(Signal.METRICS, body)


def _reachable(descriptor: Descriptor, seen: set[str]) -> set[str]:
    if descriptor.full_name not in seen:
        seen.add(descriptor.full_name)
        for field in descriptor.fields:
            if field.message_type is not None:
                _reachable(field.message_type, seen)
    return seen


@pytest.mark.parametrize("signal", list(Signal))
def test_otlp_uses_no_maps_or_well_known_types_the_reader_does_not_handle(signal: Signal) -> None:
    # A future opentelemetry-proto that adds one must teach json_reader its JSON form first.
    names = _reachable(REQUEST_TYPES[signal].DESCRIPTOR, set())
    assert not [name for name in names if name.startswith("google.protobuf.") or name.endswith("Entry")]
