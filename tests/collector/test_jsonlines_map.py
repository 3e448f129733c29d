"""The JSON-lines mapping as pure functions: timestamps, levels, ids, dialects, bad lines and limits.

Lines of loggers that cannot run here (std log/slog, ECS loggers, logstash-logback-encoder, log4j2,
Docker and CRI runtimes) come from their documented formats; one test stores them all through a
running collector and reads them back from ClickHouse.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from collector.jsonlines import timestamps
from collector.jsonlines.convert import Context, LineLimits, convert
from collector.jsonlines.mapper import ident
from collector.jsonlines.severity import Scale, severity
from collector.jsonlines.timestamps import parse_timestamp
from collector.loki.convert import convert_push
from collector.loki.push import Entry, Stream, decode_push
from collector.otlp.limits import Limits, TooManyItems
from collector.otlp.model import Signal
from storage.rows.attributes import attributes as render_attributes
from tests.collector.conftest import LiveCollector

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
T = (int(time.time()) // 3600 - 1) * 3600  # a recent whole hour, inside the logs TTL: the documented lines use it


def iso(seconds: int, fraction: str = "", offset_h: int = 0) -> str:
    """T + seconds in RFC 3339 with a UTC offset of `offset_h` hours."""
    moment = datetime.fromtimestamp(T + seconds, timezone(timedelta(hours=offset_h)))
    zone = "Z" if offset_h == 0 else moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone


@pytest.mark.parametrize(
    ("value", "ns"),
    [
        ("2023-11-14T22:13:20Z", T0 * 10**9),  # logrus, zerolog (RFC 3339, seconds)
        ("2023-11-14T22:13:20.123456789Z", T0 * 10**9 + 123456789),  # slog, Docker
        ("2023-11-14T23:13:20.5+01:00", T0 * 10**9 + 500_000_000),
        ("2023-11-14T17:13:20.123-0500", T0 * 10**9 + 123_000_000),  # zap ISO8601 (Z0700)
        ("2023-11-14 22:13:20,123", T0 * 10**9 + 123_000_000),  # Python asctime (read as UTC)
        ("2023-11-14T22:13:20.123456", T0 * 10**9 + 123_456_000),  # naive ISO
        ("2023-11-14 22:13:20.123456789 +0000 UTC m=+0.001", T0 * 10**9 + 123456789),  # Go time.String()
        ("2023-11-14 23:13:20 +0100 CET", T0 * 10**9),
        (T0, T0 * 10**9),  # epoch seconds
        (T0 * 1000 + 123, T0 * 10**9 + 123_000_000),  # pino: epoch ms
        (T0 * 10**6 + 7, T0 * 10**9 + 7000),  # microseconds
        (T0 * 10**9 + 5, T0 * 10**9 + 5),  # nanoseconds
        (1700000000.1234567, T0 * 10**9 + 123_456_700),  # zap's float seconds, digits as written
        ("1700000000123", T0 * 10**9 + 123_000_000),  # a digit string
        ({"epochSecond": T0, "nanoOfSecond": 9}, T0 * 10**9 + 9),  # log4j2 JsonLayout
        ("yesterday", None),
        ("2023-13-14T22:13:20Z", None),
        (float("nan"), None),
        (True, None),
    ],
)
def test_timestamps(value: object, ns: int | None) -> None:
    assert parse_timestamp(value) == ns


# RFC 3339 stamps with every fraction, zone and odd tail, and texts of their lengths that are not one
STAMPS = st.builds(
    lambda head, sep, frac, zone, tail: head + sep + frac + zone + tail,
    st.sampled_from(["2024-05-01T10:00:00", "2024-05-01 23:59:60", "1999-12-31t00:00:01"]),
    st.sampled_from([".", ",", "", ":", "x"]),
    st.text("0123456789\u0663", max_size=12),  # an Arabic-Indic digit is a digit to the regex too
    st.sampled_from(["Z", "z", "+02:00", "-0700", "+05", "", " UTC", "+0000 UTC", "7", "+2:00"]),
    st.sampled_from(["", "", "0", "Z", " m=+0.001"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(STAMPS, min_size=1, max_size=6))
def test_a_remembered_layout_reads_what_the_regex_reads(texts: list[str]) -> None:
    # each stamp read twice: after the ones before it (a layout remembered), and with none remembered
    remembered = [parse_timestamp(text) for text in texts]
    fresh = []
    for text in texts:
        timestamps._LAYOUTS.clear()
        fresh.append(parse_timestamp(text))
    assert remembered == fresh


def test_a_remembered_layout_is_used() -> None:
    timestamps._LAYOUTS.clear()
    assert parse_timestamp("2024-05-01T10:00:00.123456+02:00") == 1714550400_123_456_000
    assert timestamps._LAYOUTS == {32: (26, "+02:00", 7200)}
    assert parse_timestamp("2024-05-01T10:00:01.654321+02:00") == 1714550401_654_321_000
    assert parse_timestamp("2024-05-01T10:00:01.6543210+0200") == 1714550401_654_321_000  # its own layout


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        (30, Scale.PINO, (9, "INFO")),
        (30, Scale.PYTHON, (13, "WARN")),
        (50, Scale.PYTHON, (21, "FATAL")),
        (60, Scale.PINO, (21, "FATAL")),
        (35, Scale.PINO, (9, "INFO")),
        (30, Scale.NAMES, (0, "")),
        ("warning", Scale.NAMES, (13, "WARN")),
        ("WARN+2", Scale.NAMES, (15, "WARN")),
        ("DEBUG-4", Scale.NAMES, (1, "TRACE")),
        ("ERROR+4", Scale.NAMES, (21, "FATAL")),
        ("CRITICAL", Scale.PYTHON, (21, "FATAL")),
        ("30", Scale.PINO, (9, "INFO")),
        ("loud", Scale.NAMES, (0, "")),
    ],
)
def test_severity_scales(value: object, scale: Scale, expected: tuple[int, str]) -> None:
    assert severity(value, scale) == expected


def test_ids() -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert ident(trace.upper(), 16, False).hex() == trace
    assert ident("4bf92f35-77b3-4da6-a3ce-929d0e0e4736", 16, False).hex() == trace
    assert ident("a3ce929d0e0e4736", 16, False).hex() == "0" * 16 + "a3ce929d0e0e4736"  # 64-bit ids padded
    assert ident("11803532876627986230", 16, True).hex() == "0" * 16 + "a3ce929d0e0e4736"  # Datadog decimal
    assert ident(67667974448284343, 8, True).hex() == "00f067aa0ba902b7"
    assert ident("0" * 32, 16, False) is None
    assert ident("not-an-id", 16, False) is None
    assert ident(2**64, 8, True) is None


def decode(lines: list[str] | bytes, **ctx: object) -> tuple[list, dict]:
    """Convert a body; return its records as (resource, scope, record) and the report."""
    body = lines if isinstance(lines, bytes) else "\n".join(lines).encode()
    context = Context(ctx.get("service"), ctx.get("resource", ()), ctx.get("now", time.time_ns()))
    limits = ctx.get("limits", LineLimits(Limits(ttl_days=dict.fromkeys(Signal, 90))))
    otlp, report = convert(body, context, limits)
    request = ExportLogsServiceRequest.FromString(otlp)
    assert request.ByteSize() == len(otlp)  # canonical: the OTLP decode takes it without re-serializing
    records = [
        (render_attributes(rl.resource.attributes), sl.scope.name, r)
        for rl in request.resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]
    return records, report.as_dict()


SLOG_STD = (
    '{"time":'
    + json.dumps(iso(0, ".123", -5))
    + ',"level":"INFO","source":{"function":"main.main","file":"/src/main.go",'
    '"line":12},"msg":"hello","count":3,"req":{"method":"GET","path":"/"}}'
)
ECS = json.dumps(
    {
        "@timestamp": iso(0, ".123"),
        "log.level": "warn",
        "message": "ECS line",
        "ecs.version": "1.6.0",
        "service.name": "orders",
        "service.version": "2.1.0",
        "trace.id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span.id": "00f067aa0ba902b7",
        "log": {"logger": "com.example.Orders"},
        "error": {"type": "java.lang.IllegalStateException", "message": "bad", "stack_trace": "at Orders.java:1"},
        "process.thread.name": "main",
    }
)
LOGSTASH = json.dumps(
    {
        "@timestamp": iso(0, ".123", 1),
        "@version": "1",
        "message": "logstash line",
        "logger_name": "com.example.Pay",
        "thread_name": "http-1",
        "level": "ERROR",
        "level_value": 40000,
        "stack_trace": "java.lang.RuntimeException: oops\n\tat Pay.java:9",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7",
    }
)
LOG4J2 = json.dumps(
    {
        "instant": {"epochSecond": T, "nanoOfSecond": 123456789},
        "thread": "main",
        "level": "FATAL",
        "loggerName": "com.example.Boot",
        "message": "log4j2 line",
        "thrown": {"name": "java.lang.Error", "message": "gone", "extendedStackTrace": [{"class": "Boot", "line": 3}]},
        "endOfBatch": False,
        "threadId": 1,
    }
)
DOCKER_PLAIN = json.dumps({"log": "plain docker line\n", "stream": "stdout", "time": iso(0, ".000000001")})
DOCKER_JSON = json.dumps(
    {
        "log": json.dumps({"level": "error", "msg": "app line inside docker", "time": iso(-1)}) + "\n",
        "stream": "stderr",
        "time": iso(0, ".5"),
    }
)
CRI = json.dumps(
    {
        "time": iso(0, ".25"),
        "stream": "stdout",
        "logtag": "F",
        "message": "cri line",
        "kubernetes": {
            "pod_name": "web-1",
            "namespace_name": "prod",
            "container_name": "web",
            "labels": {"app": "web"},
        },
    }
)


def test_documented_formats_map() -> None:
    records, report = decode([SLOG_STD, ECS, LOGSTASH, LOG4J2, DOCKER_PLAIN, DOCKER_JSON, CRI], service="fallback")
    assert report["mapped"] == 7
    by_body = {r.body.string_value: (res, scope, r) for res, scope, r in records}
    res, _, slog = by_body["hello"]
    assert slog.time_unix_nano == T * 10**9 + 123_000_000 and slog.severity_number == 9
    assert render_attributes(slog.attributes) == {
        "code.function.name": "main.main",
        "code.file.path": "/src/main.go",
        "code.line.number": "12",
        "count": "3",
        "req.method": "GET",
        "req.path": "/",
    }
    assert res["service.name"] == "fallback"
    res, scope, ecs = by_body["ECS line"]
    assert res == {"service.name": "orders", "service.version": "2.1.0"} and scope == "com.example.Orders"
    assert (ecs.severity_text, ecs.trace_id.hex(), ecs.span_id.hex()) == (
        "WARN",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
    )
    assert render_attributes(ecs.attributes)["exception.type"] == "java.lang.IllegalStateException"
    assert "ecs.version" not in render_attributes(ecs.attributes)
    _, scope, logstash = by_body["logstash line"]
    attrs = render_attributes(logstash.attributes)
    assert (scope, logstash.severity_number, attrs["thread.name"]) == ("com.example.Pay", 17, "http-1")
    assert "oops" in attrs["exception.stacktrace"] and "level_value" not in attrs
    _, scope, log4j = by_body["log4j2 line"]
    assert (log4j.time_unix_nano, log4j.severity_number, scope) == (T * 10**9 + 123456789, 21, "com.example.Boot")
    assert render_attributes(log4j.attributes)["exception.stacktrace"] == '[{"class":"Boot","line":3}]'
    _, _, plain = by_body["plain docker line"]
    assert plain.time_unix_nano == T * 10**9 + 1 and render_attributes(plain.attributes) == {"log.iostream": "stdout"}
    _, _, inner = by_body["app line inside docker"]
    assert (inner.time_unix_nano, inner.observed_time_unix_nano) == ((T - 1) * 10**9, T * 10**9 + 500_000_000)
    assert inner.severity_number == 17
    res, _, cri = by_body["cri line"]
    assert res == {
        "service.name": "web",
        "k8s.pod.name": "web-1",
        "k8s.namespace.name": "prod",
        "k8s.container.name": "web",
    }
    assert render_attributes(cri.attributes) == {
        "log.iostream": "stdout",
        "logtag": "F",
    }


def test_bad_lines_are_stored_raw_and_numbered() -> None:
    body = b'{"msg":"one","level":"info"}\n\nnot json\n[1,2]\n{"msg":"five","level":"info"}\r\n\xff{"x"\n'
    records, report = decode(body)
    assert report["lines"] == 5 and report["mapped"] == 2 and report["raw"] == 3 and report["rejected"] == 0
    assert [p["line"] for p in report["problems"]] == [3, 4, 6]  # the blank line 2 still counts
    assert "not JSON" in report["problems"][0]["problem"] and "not an object" in report["problems"][1]["problem"]
    raw = [r for _, _, r in records if r.severity_number == 0]
    assert [r.body.string_value for r in raw] == ["not json", "[1,2]", '\ufffd{"x"']
    assert all(render_attributes(r.attributes)["otelhouse.unparsed"] for r in raw)
    assert records[-2][2].body.string_value == "five"  # \r\n endings


def test_missing_time_uses_arrival_and_says_so() -> None:
    now = time.time_ns()
    records, _ = decode(['{"msg":"no time","level":"info"}', '{"msg":"bad time","time":"soon"}'], now=now)
    for _, _, r in records:
        assert (r.time_unix_nano, r.observed_time_unix_nano) == (0, now)  # stored Timestamp = observed
        assert render_attributes(r.attributes)["otelhouse.timestamp"] == "arrival"
    assert render_attributes(records[1][2].attributes)["time"] == "soon"  # the unreadable value is kept


def test_array_and_single_object_bodies() -> None:
    records, report = decode(b'[{"msg":"a","level":"info"}, 7, {"msg":"b","level":"warn"}]')
    assert report["lines"] == 3 and report["raw"] == 1 and report["problems"][0]["line"] == 2
    records, report = decode(b'{\n  "msg": "pretty",\n  "level": "info"\n}\n')
    assert report["mapped"] == 1 and records[0][2].body.string_value == "pretty"


def test_values_that_need_care() -> None:
    big = '{"msg":"m","n":18446744073709551616123,"neg":-9223372036854775809,"nan":NaN,"s":"\\ud800x","dup":1,"dup":2}'
    records, report = decode([big])
    attrs = render_attributes(records[0][2].attributes)
    assert attrs["n"] == "18446744073709551616123" and attrs["neg"] == "-9223372036854775809"
    assert attrs["nan"] == "nan" and attrs["dup"] == "2" and attrs["s"].endswith("x")
    assert report["repaired"] == 1


def test_limits_name_their_settings() -> None:
    limits = LineLimits(Limits(max_items=4, max_attributes=4), max_line_bytes=100, max_depth=3)
    lines = [
        '{"msg":"ok"}',
        '{"msg":"' + "x" * 200 + '"}',
        '{"a":{"b":{"c":{"d":{"e":1}}}}}',
        '{"a":1,"b":2,"c":3,"d":4}',
    ]
    _, report = decode(lines, limits=limits)
    problems = [p["problem"] for p in report["problems"]]
    assert "collector.json_max_line_bytes (100); not stored" in problems[0]
    assert "collector.json_max_depth (3)" in problems[1] and "stored raw" in problems[1]
    assert "collector.max_attributes_per_item (4)" in problems[2]
    assert (report["mapped"], report["raw"], report["rejected"]) == (1, 2, 1)
    with pytest.raises(TooManyItems, match=r"collector\.max_items_per_request"):
        decode(['{"msg":"x"}'] * 5, limits=limits)


def test_times_outside_what_storage_keeps_are_rejected() -> None:
    now = time.time_ns()
    old = json.dumps({"msg": "old", "level": "info", "time": now // 10**6 - 100 * 86_400_000})
    future = json.dumps({"msg": "future", "level": "info", "time": now // 10**6 + 2 * 86_400_000})
    records, report = decode([old, future, '{"msg":"now","level":"info"}'], now=now)
    assert [r.body.string_value for _, _, r in records] == ["now"]
    assert "retention.logs_hot_days" in report["problems"][0]["problem"]
    assert "collector.max_future_timestamp_s" in report["problems"][1]["problem"]


def test_documented_formats_stored(live: LiveCollector) -> None:
    """The documented lines through a running collector (gzip, service from the line), read back from ClickHouse."""
    import gzip

    body = gzip.compress("\n".join([SLOG_STD, ECS, LOGSTASH, LOG4J2, DOCKER_PLAIN, DOCKER_JSON, CRI]).encode())
    response = requests.post(
        f"{live.http_url}/v1/logs/json?service=fallback", data=body, headers={"Content-Encoding": "gzip"}, timeout=30
    )
    assert response.status_code == 200 and response.json()["mapped"] == 7
    rows = live.query(
        "SELECT ServiceName, Body, SeverityNumber, TraceId, toUnixTimestamp64Nano(Timestamp) FROM {db}.otel_logs "
        "ORDER BY Body"
    )
    assert len(rows) == 7
    got = {body: (service, sev, trace, ts) for service, body, sev, trace, ts in rows}
    assert got["ECS line"] == ("orders", 13, "4bf92f3577b34da6a3ce929d0e0e4736", T * 10**9 + 123_000_000)
    assert got["hello"][0] == "fallback" and got["cri line"][0] == "web"
    assert got["log4j2 line"][1:] == (21, "", T * 10**9 + 123456789)


def test_long_strings_are_cut_to_the_otlp_limits_as_the_lines_are_built() -> None:
    """The receivers skip the OTLP decode, so the builder cuts what it would: values, bodies, logger names."""
    limits = LineLimits(Limits(max_value_length=5, max_body_length=8, max_name_length=4))
    line = json.dumps({"level": "info", "ts": 1.7e9, "logger": "payments", "msg": "a long message", "user": "abcdefgh"})
    otlp, report = convert(line.encode(), Context("svc", (), time.time_ns()), limits)
    request = ExportLogsServiceRequest.FromString(otlp)
    scope = request.resource_logs[0].scope_logs[0]
    record = scope.log_records[0]
    assert (record.body.string_value, scope.scope.name) == ("a long m", "paym")
    assert render_attributes(record.attributes)["user"] == "abcde"
    assert report.truncated == 3 and report.as_dict()["stored"] == 1


def test_a_loki_entry_with_more_metadata_than_allowed_is_rejected_alone() -> None:
    now = time.time_ns()
    metadata = {f"k{i}": "v" for i in range(5)}
    body = json.dumps({"streams": [{"stream": {"app": "a"}, "values": [[str(now), "x", metadata], [str(now), "y"]]}]})
    otlp, report = convert_push(decode_push(body.encode(), True, 1 << 20), LineLimits(Limits(max_attributes=4)), now)
    assert (report.entries, report.rejected) == (2, 1)
    assert "streams[0].entries[0]" in report.message() and "collector.max_attributes_per_item (4)" in report.message()
    records = [
        r
        for rl in ExportLogsServiceRequest.FromString(otlp).resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]
    assert [r.body.string_value for r in records] == ["y"]


def test_invalid_utf8_in_a_loki_line_is_repaired_as_it_is_built() -> None:
    now = time.time_ns()
    streams = [Stream("streams[0]", {"app": "a"}, [Entry(now, b"caf\xc3 ok", [])])]
    otlp, report = convert_push(streams, LineLimits(), now)
    record = ExportLogsServiceRequest.FromString(otlp).resource_logs[0].scope_logs[0].log_records[0]
    assert (record.body.string_value, report.repaired) == ("caf\ufffd ok", 1)
