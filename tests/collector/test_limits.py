"""Ingest limits and the treatment of bad values: decode-level rules, then read back through a live collector."""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

from collector.otlp.decode import decode_protobuf
from collector.otlp.limits import NS_PER_DAY, Limits, may_hold_long_string
from collector.otlp.model import InvalidRequest, Route, Signal
from collector.otlp_http import RECEIVER_KEY
from tests.collector.conftest import LiveCollector, start_live_collector
from tests.collector.test_http_errors import PROTO, post, span_request, status_of
from tests.storage.otlp_samples import fill

NOW = time.time_ns()
LIMITS = Limits(max_items=10, max_attributes=4, max_value_length=200, max_depth=4, ttl_days=dict.fromkeys(Signal, 30))


def spans(n: int = 3) -> tpb.ExportTraceServiceRequest:
    return span_request(n, service="limits")


def first_span(req: tpb.ExportTraceServiceRequest):
    return req.resource_spans[0].scope_spans[0].spans[0]


def decode(req, limits: Limits = LIMITS, signal: Signal = Signal.TRACES):
    return decode_protobuf(signal, req.SerializeToString(), limits)


def test_too_many_items_refuses_the_request() -> None:
    with pytest.raises(InvalidRequest, match=r"11 spans, more than collector.max_items_per_request \(10\)"):
        decode(spans(11))
    assert decode(spans(10)).payload.items == 10


def test_too_many_attributes_rejects_the_item() -> None:
    req = spans(3)
    for k in range(5):
        first_span(req).attributes.add(key=f"k{k}").value.int_value = k
    result = decode(req)
    assert (result.payload.items, result.rejected) == (2, 1)
    assert result.message == (
        "rejected 1 span; first problem: 5 attributes, more than collector.max_attributes_per_item (4)"
    )


@pytest.mark.parametrize("limit", [10, 200])  # below 128 the cheap scan is skipped; above it, it gates
def test_long_string_values_are_truncated_and_counted(limit: int) -> None:
    req = spans(2)
    span = first_span(req)
    fill(span.attributes.add(key="long").value, "é" * (limit + 5))
    fill(span.attributes.add(key="nested").value, ["x" * (limit + 1), {"k": "y" * (limit * 3)}, "short"])
    fill(req.resource_spans[0].resource.attributes.add(key="r").value, "z" * (limit + 1))
    span.name = "n" * (limit * 2)  # names are not attributes: left alone
    result = decode(req, Limits(max_value_length=limit))
    assert result.truncated == 4 and result.rejected == 0
    assert (
        f"truncated 4 strings to their length limits (collector.max_attribute_value_length {limit}," in result.message
    )
    stored = tpb.ExportTraceServiceRequest.FromString(result.payload.body)
    attrs = {kv.key: kv.value for kv in first_span(stored).attributes}
    assert attrs["long"].string_value == "é" * limit
    nested = attrs["nested"].array_value.values
    assert [len(nested[0].string_value), len(nested[1].kvlist_value.values[0].value.string_value)] == [limit, limit]
    assert nested[2].string_value == "short"
    assert stored.resource_spans[0].resource.attributes[-1].value.string_value == "z" * limit
    assert first_span(stored).name == "n" * (limit * 2)


def test_cheap_scan_passes_ordinary_bodies_and_finds_long_strings() -> None:
    req = spans(200)
    body = req.SerializeToString()
    assert len(body) > 1000 and not may_hold_long_string(body, 1000)
    fill(first_span(req).attributes.add(key="long").value, "q" * 1001)
    assert may_hold_long_string(req.SerializeToString(), 1000)


def test_cheap_scan_finds_a_long_string_right_after_a_false_candidate() -> None:
    # a tag and varint that cannot be a string (too long for the body) ending in a byte that is itself
    # the tag of a real long string: the scan must not skip it (the regex scan it replaced did)
    long = b"s" * 20_000
    body = b"\x0a\x80\x80" + b"\x0a" + bytes([0xA0, 0x9C, 0x01]) + long
    assert may_hold_long_string(body, 16_384)
    assert not may_hold_long_string(b"\x0a\x80\x80\x0a" + bytes([0xA0, 0x9C, 0x01]) + b"\xff" + long, 16_384)


def test_cheap_scan_of_a_large_binary_value_is_quick() -> None:
    # 4 MB of random bytes in a bytes attribute: tens of thousands of tag-like candidates, each weeded
    # out by its first bytes (a failed decode of the whole rest used to copy it: over a second)
    req = spans(1)
    first_span(req).attributes.add(key="blob").value.bytes_value = random.Random(5).randbytes(4_000_000)
    body = req.SerializeToString()
    started = time.thread_time()
    may_hold_long_string(body, 16_384)
    assert time.thread_time() - started < 1.0


def test_values_nested_too_deep_reject_the_item() -> None:
    req = spans(2)
    deep: object = "leaf"
    for _ in range(6):
        deep = [deep]
    fill(first_span(req).attributes.add(key="deep").value, deep)
    fill(req.resource_spans[0].scope_spans[0].spans[1].attributes.add(key="ok").value, [[["three"]]])
    result = decode(req)
    assert result.payload.route is Route.PYTHON and (result.payload.items, result.rejected) == (1, 1)
    assert "a value nested more than collector.max_anyvalue_depth (4) levels deep" in result.message


@pytest.mark.parametrize("levels", [5, 50, 200, 2000])
def test_a_value_nested_past_the_protobuf_runtime_limit_rejects_only_its_item(levels: int) -> None:
    # upb refuses a whole message nested past 100 messages (~47 AnyValue levels); the item must go alone
    req = spans(2)
    deep = first_span(req).attributes.add(key="deep").value
    for _ in range(levels):
        deep = deep.array_value.values.add()
    deep.string_value = "leaf"
    result = decode(req)
    assert (result.payload.items, result.rejected) == (1, 1)
    stored = tpb.ExportTraceServiceRequest.FromString(result.payload.body)
    assert [s.name for s in stored.resource_spans[0].scope_spans[0].spans] == ["op1"]


def test_a_resource_nested_too_deep_is_dropped_with_its_items() -> None:
    req = spans(2)
    other = span_request(1, service="fine").resource_spans[0]
    req.resource_spans.add().CopyFrom(other)
    deep = req.resource_spans[0].resource.attributes.add(key="deep").value
    for _ in range(120):
        deep = deep.kvlist_value.values.add(key="k").value
    result = decode(req)
    assert (result.payload.items, result.rejected) == (1, 2)
    stored = tpb.ExportTraceServiceRequest.FromString(result.payload.body)
    assert len(stored.resource_spans) == 1 and stored.resource_spans[0] == other


def test_json_nested_deeper_than_the_parser_limits_rejects_only_its_item() -> None:
    from collector.otlp.decode import decode_message
    from collector.otlp.json_codec import parse_json

    value = {"stringValue": "leaf"}
    for _ in range(300):
        value = {"arrayValue": {"values": [value]}}
    good = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "good", "startTimeUnixNano": str(NOW)}
    bad = {**good, "spanId": "ef" * 8, "name": "bad", "attributes": [{"key": "k", "value": value}]}
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [bad, good]}]}]}).encode()
    result = decode_message(Signal.TRACES, parse_json(Signal.TRACES, body), LIMITS)
    assert (result.payload.items, result.rejected) == (1, 1)
    assert "max_anyvalue_depth (4)" in result.message


def test_names_log_bodies_and_status_messages_are_truncated_and_counted() -> None:
    limits = Limits(max_name_length=10, max_body_length=300, max_value_length=200)
    req = spans(1)
    span = first_span(req)
    span.name = "n" * 50
    span.status.message = "m" * 400
    span.events.add(time_unix_nano=NOW, name="e" * 11)
    req.resource_spans[0].scope_spans[0].scope.name = "s" * 11
    result = decode(req, limits)
    assert result.truncated == 4 and result.payload.route is Route.FLAT
    stored = first_span(tpb.ExportTraceServiceRequest.FromString(result.payload.body))
    assert (stored.name, stored.status.message, stored.events[0].name) == ("n" * 10, "m" * 300, "e" * 10)

    logs = ExportLogsServiceRequest()
    records = logs.resource_logs.add().scope_logs.add().log_records
    records.add(time_unix_nano=NOW).body.string_value = "b" * 10_000
    fill(records.add(time_unix_nano=NOW).body, {"msg": "c" * 301, "short": "ok"})
    result = decode(logs, limits, Signal.LOGS)
    assert result.truncated == 2 and "max_log_body_length 300" in result.message
    stored = ExportLogsServiceRequest.FromString(result.payload.body).resource_logs[0].scope_logs[0].log_records
    assert stored[0].body.string_value == "b" * 300
    assert [len(kv.value.string_value) for kv in stored[1].body.kvlist_value.values] == [300, 2]

    metrics = ExportMetricsServiceRequest()
    metric = metrics.resource_metrics.add().scope_metrics.add().metrics.add(name="x" * 20, unit="u" * 20)
    metric.gauge.data_points.add(time_unix_nano=NOW, as_int=1)
    result = decode(metrics, limits, Signal.METRICS)
    stored = ExportMetricsServiceRequest.FromString(result.payload.body).resource_metrics[0].scope_metrics[0]
    assert result.truncated == 2 and (stored.metrics[0].name, stored.metrics[0].unit) == ("x" * 10, "u" * 10)


def test_log_body_nested_too_deep_rejects_the_record() -> None:
    req = ExportLogsServiceRequest()
    records = req.resource_logs.add().scope_logs.add().log_records
    deep: object = {"k": 1}
    for _ in range(5):
        deep = {"k": deep}
    fill(records.add(time_unix_nano=NOW).body, deep)
    records.add(time_unix_nano=NOW).body.string_value = "fine"
    result = decode(req, signal=Signal.LOGS)
    assert (result.payload.items, result.rejected) == (1, 1)
    assert "collector.max_anyvalue_depth" in result.message


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        (0, "start_time_unix_nano is 0 (unset)"),
        (
            NOW - 31 * NS_PER_DAY,
            "older than the table TTL (retention.traces_hot_days + retention.ttl_margin_days) (30 days); "
            "ClickHouse would drop it",
        ),
        (NOW + 2 * NS_PER_DAY, "more than collector.max_future_timestamp_s (86400 s) in the future"),
        ((1 << 64) - 1, "after 2262-04-11, past what DateTime64(9) holds"),
    ],
    ids=["zero", "past-ttl", "future", "past-datetime64"],
)
def test_span_start_out_of_range_rejects_the_span(start: int, problem: str) -> None:
    req = spans(2)
    first_span(req).start_time_unix_nano = start
    result = decode(req)
    assert (result.payload.items, result.rejected) == (1, 1)
    assert problem in result.message


def test_log_time_falls_back_to_observed_time_and_metric_points_are_checked() -> None:
    logs = ExportLogsServiceRequest()
    records = logs.resource_logs.add().scope_logs.add().log_records
    records.add(observed_time_unix_nano=NOW)
    records.add()
    result = decode(logs, signal=Signal.LOGS)
    assert (result.payload.items, result.rejected) == (1, 1)
    assert "observed_time_unix_nano is 0 (unset)" in result.message
    metrics = ExportMetricsServiceRequest()
    gauge = metrics.resource_metrics.add().scope_metrics.add().metrics.add(name="g").gauge
    gauge.data_points.add(time_unix_nano=NOW, as_double=math.nan)
    gauge.data_points.add(time_unix_nano=NOW, as_double=math.inf)
    gauge.data_points.add(time_unix_nano=NOW - 40 * NS_PER_DAY, as_double=1)
    result = decode(metrics, signal=Signal.METRICS)
    assert (result.payload.items, result.rejected) == (2, 1)
    assert "retention.metrics_hot_days + retention.ttl_margin_days) (30 days)" in result.message


def test_invalid_utf8_is_replaced_and_counted() -> None:
    req = spans(2)
    first_span(req).name = "PLACEHOLDER"
    first_span(req).attributes.add(key="KEYHOLDER").value.string_value = "VALHOLDER"
    body = req.SerializeToString()
    body = body.replace(b"PLACEHOLDER", b"bad\xff\xfename__").replace(b"KEYHOLDER", b"k\xc3\x28ey____")
    body = body.replace(b"VALHOLDER", b"\xed\xa0\x80surrog")  # an encoded surrogate is not UTF-8 either
    result = decode_protobuf(Signal.TRACES, body, LIMITS)
    assert (result.payload.items, result.rejected, result.repaired) == (2, 0, 3)
    assert "replaced invalid UTF-8 with U+FFFD in 3 string fields" in result.message
    span = first_span(tpb.ExportTraceServiceRequest.FromString(result.payload.body))
    assert span.name == "bad\ufffd\ufffdname__"  # same length: the wire lengths still hold
    assert span.attributes[0].key == "k\ufffd(ey____"


def test_invalid_utf8_inside_an_array_is_repaired_too() -> None:
    """The flat probe skips container contents, so the bad string shows only at the nested parse."""
    req = spans(1)
    value = first_span(req).attributes.add(key="list").value
    value.array_value.values.add().string_value = "PLACEHOLDER"
    body = req.SerializeToString().replace(b"PLACEHOLDER", b"bad\xff\xfename__")
    result = decode_protobuf(Signal.TRACES, body, LIMITS)
    assert (result.payload.items, result.repaired, result.payload.route) == (1, 1, Route.NATIVE)
    kept = first_span(tpb.ExportTraceServiceRequest.FromString(result.payload.body)).attributes[-1]
    assert kept.value.array_value.values[0].string_value == "bad\ufffd\ufffdname__"


def test_empty_span_name_is_stored() -> None:
    req = spans(1)
    first_span(req).name = ""
    assert decode(req).payload.items == 1


# --- through a live collector: settings reach the decoder, responses name them, rows read back


@pytest.fixture
def limited(chdb_path, store, database) -> Iterator[LiveCollector]:
    yield from start_live_collector(
        chdb_path,
        store,
        database,
        OTELHOUSE_COLLECTOR_MAX_ATTRIBUTES_PER_ITEM="3",
        OTELHOUSE_COLLECTOR_MAX_ATTRIBUTE_VALUE_LENGTH="150",
        OTELHOUSE_COLLECTOR_MAX_ITEMS_PER_REQUEST="50",
        OTELHOUSE_COLLECTOR_MAX_CONCURRENT_REQUESTS="2",
    )


def test_limits_from_settings_answer_over_http_and_store_the_rest(limited: LiveCollector) -> None:
    url = f"{limited.http_url}/v1/traces"
    code, _, reply = post(url, spans(51).SerializeToString(), PROTO)
    assert code == 400 and "collector.max_items_per_request (50)" in status_of(reply).message
    req = spans(3)
    for k in range(4):
        first_span(req).attributes.add(key=f"k{k}").value.int_value = k
    req.resource_spans[0].scope_spans[0].spans[1].attributes.add(key="long").value.string_value = "v" * 400
    first_span(req).start_time_unix_nano = NOW - 40 * NS_PER_DAY  # the default TTL is 30 days
    code, _, reply = post(url, req.SerializeToString(), PROTO)
    response = tpb.ExportTraceServiceResponse.FromString(reply)
    assert code == 200 and response.partial_success.rejected_spans == 1
    assert response.partial_success.error_message == (
        "rejected 1 span; first problem: 4 attributes, more than collector.max_attributes_per_item (3); "
        "truncated 1 string to their length limits (collector.max_attribute_value_length 150, "
        "max_name_length 16384, max_log_body_length 65536 characters)"
    )
    rows = limited.query("SELECT SpanName, SpanAttributes['long'] FROM {db}.otel_traces ORDER BY SpanName")
    assert rows == [("op1", "v" * 150), ("op2", "")]


def test_requests_over_the_concurrency_limit_get_429(limited: LiveCollector) -> None:
    receiver = limited.app()[RECEIVER_KEY]
    url = f"{limited.http_url}/v1/traces"

    def occupy(n: int) -> None:
        async def set_in_flight() -> None:
            receiver.in_flight += n

        asyncio.run_coroutine_threadsafe(set_in_flight(), limited.loop).result(5)

    occupy(2)  # two requests in flight, as far as the receiver can tell
    try:
        code, headers, reply = post(url, spans(1).SerializeToString(), PROTO)
    finally:
        occupy(-2)
    assert code == 429 and headers["Retry-After"] == "5"
    assert "collector.max_concurrent_requests (2)" in status_of(reply).message
    assert post(url, spans(1).SerializeToString(), PROTO)[0] == 200
    assert limited.query("SELECT count() FROM {db}.otel_traces") == [(1,)]
