"""Fuzzing the JSON-lines mapper and the Loki decoder, and the corpus of nasty inputs through a running collector.

Properties: any body maps without an exception other than the documented refusals; what is produced
is a valid, canonical OTLP logs request; every line is counted once (mapped, raw or rejected); memory
stays a small multiple of the body. The corpus (tests/collector/corpus/logs, regenerate with
make_logs_corpus.py) gets the status expected.toml names, never a 500.
"""

from __future__ import annotations

import json
import time
import tomllib
import tracemalloc
from pathlib import Path

import cramjam
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from collector.errors import TooLarge
from collector.jsonlines import fastpath, mapper
from collector.jsonlines.convert import Context, LineLimits, convert, map_object, mapped_record
from collector.jsonlines.dialects import DIALECTS, GENERIC
from collector.jsonlines.plan import Inexact, Plan
from collector.logwire import Cut, encode_record, framed
from collector.loki.convert import convert_push
from collector.loki.push import PushRequest, decode_push
from collector.otlp.decode import decode_protobuf
from collector.otlp.limits import Limits, TooManyItems
from collector.otlp.model import InvalidRequest, Route, Signal
from tests.collector.conftest import LiveCollector, start_live_collector

CORPUS = Path(__file__).parent / "corpus" / "logs"
# short string limits, so the builders cut values, bodies and logger names as the OTLP decode would
LIMITS = LineLimits(
    Limits(max_items=1000, max_value_length=24, max_body_length=40, max_name_length=12),
    max_line_bytes=4096,
    max_depth=8,
)
KEYS = st.sampled_from(["msg", "message", "level", "time", "ts", "trace_id", "span_id", "err", "log", "stream", "v"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(
        ["info", "WARN+2", "warning", "2024-05-01T10:00:00Z", "4bf92f3577b34da6a3ce929d0e0e4736", "stdout"]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(max_size=8), inner, max_size=6),
    max_leaves=25,
)


# every key some dialect gives a meaning, so shapes hit every dialect and slot priorities collide
SLOT_KEYS = sorted({key for d in (*DIALECTS, GENERIC) for key in d.slots})
FLAT_LINES = st.dictionaries(
    st.sampled_from(SLOT_KEYS) | st.text(max_size=6), SCALARS | st.lists(SCALARS, max_size=3), max_size=12
)


def _map_or_inexact(obj: dict, exact: bool):
    try:
        return mapper.map_line(obj, 8, None, exact_numbers=exact)
    except Inexact as exc:
        return ("inexact", str(exc))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FLAT_LINES, st.booleans())
def test_a_shape_plan_maps_a_flat_line_as_the_walk_does(obj: dict, exact: bool) -> None:
    planned = _map_or_inexact(obj, exact)
    again = _map_or_inexact(dict(obj), exact)  # the second line of a shape takes the remembered plan
    mapper._PLANS.clear()
    original = mapper._plan
    mapper._plan = lambda obj, shape: Plan(None)  # the walk, as nested lines take it
    try:
        walked = _map_or_inexact(obj, exact)
    finally:
        mapper._plan = original
        mapper._PLANS.clear()
    assert planned == again == walked


def _mapped_bytes(line: mapper.MappedLine, arrival: int, limits: LineLimits) -> tuple:
    """What the mapper's road makes of a line: its encoded record, its logger, service and resource."""
    record = mapped_record(line, arrival)
    return framed(encode_record(record, Cut.of(limits.otlp))), line.logger, line.service, line.resource


# every time a record can hold: the fast path's window check leaves the lines to the mapper's road
ANY_TIME = (0, (1 << 64) - 1)


def _to(arrival: int, max_attributes: int, cut: Cut) -> fastpath.Target:
    return fastpath.target(arrival, ANY_TIME, max_attributes, cut)


def _fast_of(obj: dict) -> fastpath.Fast | None:
    """The Fast of a line's shape, compiled now (fast_of compiles a shape once it has recurred)."""
    shape = (tuple(obj), tuple(map(type, obj.values())))
    return fastpath.compile_fast(mapper.plan_of(obj, shape), shape[1])


def _fast_record(fast: fastpath.Fast, values: tuple, max_attributes: int = 128, cut: Cut | None = None):
    return fast.record(values, _to(0, max_attributes, cut or Cut()))


# lines as loggers write them (the fast path's road), with odd values and extra fields mixed in
HEX = st.binary(min_size=8, max_size=16).map(bytes.hex)
USUAL_LINES = st.builds(
    lambda fixed, extra: {**fixed, **extra},
    st.fixed_dictionaries(
        {
            "level": st.sampled_from(["info", "warning", "WARN+2", "Error", "x"]) | SCALARS,
            "msg": st.text(max_size=50) | SCALARS,
            "time": st.sampled_from(["2024-05-01T10:00:00.123456789+02:00", "2024-05-01 10:00:00,5", "1714557600"])
            | SCALARS,
        },
        optional={"trace_id": HEX | SCALARS, "span_id": HEX | SCALARS, "logger": SCALARS, "caller": SCALARS},
    ),
    FLAT_LINES,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(USUAL_LINES | FLAT_LINES, st.sampled_from([LIMITS, LineLimits()]))
def test_the_fast_path_builds_the_record_the_mapper_builds(obj: dict, limits: LineLimits) -> None:
    values = tuple(obj.values())
    fast = _fast_of(obj)
    arrival = 1_700_000_000_000_000_000
    for _ in range(2):  # the second time with the encoded values remembered
        quick = fast and fast.record(values, _to(arrival, limits.otlp.max_attributes, Cut.of(limits.otlp)))
        if not quick:
            return  # the line takes the mapper
        line, why = map_object(obj, limits, json.dumps(obj).encode())
        assert line is not None, why
        assert quick == _mapped_bytes(line, arrival, limits)


def test_the_fast_path_takes_the_usual_lines_and_leaves_the_rest() -> None:
    line = {"level": "warning", "msg": "hi", "time": "2024-05-01T10:00:00.5Z", "trace_id": "ab" * 16, "n": 1}
    values = tuple(line.values())
    fast = _fast_of(line)
    assert fast is not None
    record = LogRecord.FromString(_fast_record(fast, values)[0][2:])  # framed: a tag, a one-byte length
    assert (record.time_unix_nano, record.severity_text, record.body.string_value) == (
        1714557600_500_000_000,
        "WARN",
        "hi",
    )
    for odd in ("yesterday", "2024-05-01T10:00:00 in Paris"):  # a time only the mapper can say what to do with
        assert _fast_record(fast, (*values[:2], odd, *values[3:])) is None
    assert _fast_record(fast, (*values[:3], "not hex", 1)) is None
    assert _fast_record(fast, values, 2) is None  # n and log.level: too many attributes, the mapper stores it raw
    assert fast.record(values, fastpath.target(0, (0, 1), 128, Cut())) is None  # a time not kept: the mapper says why
    assert _fast_record(fast, (*values[:4], 1.5)) is fastpath.MISMATCH  # another shape's line
    deep = convert(
        json.dumps({**line, "n": [[[[]]]]}).replace("[[[[]]]]", "[" * 1000 + "]" * 1000).encode(),
        Context(None, (), time.time_ns()),
        LIMITS,
    )
    assert deep[1].raw == 1 and "json_max_depth" in deep[1].problems[0][1]  # too deep to render: stored raw
    nested = {**line, "n": {"m": 1}}
    assert _fast_of(nested) is None


def test_the_fast_path_remembers_short_levels_only() -> None:
    # a level cache holding whatever text a client sends as its level would grow past any bound
    line = {"level": "warning", "msg": "hi", "time": "2024-05-01T10:00:00Z"}
    fast = _fast_of(line)
    assert fast is not None
    long_level = "w" * 100_000
    assert _fast_record(fast, (long_level, "hi", line["time"])) is not None
    assert long_level not in fast.levels
    _fast_record(fast, tuple(line.values()))
    assert "warning" in fast.levels


def test_a_shape_is_compiled_once_it_recurs_and_alike_shapes_share_the_code() -> None:
    # a stream whose every line has a shape of its own takes the mapper, not a compile per line
    line = {"level": "info", "msg": "hi", "time": "2024-05-01T10:00:00Z", "user_4711": 1}
    shape = (tuple(line), tuple(map(type, line.values())))
    for _ in range(fastpath.COMPILE_AT - 1):
        assert fastpath.fast_of(line, shape) is None
    fast = fastpath.fast_of(line, shape)
    assert fast is not None and fastpath.fast_of(line, shape) is fast
    other = {"level": "info", "msg": "hi", "time": "2024-05-01T10:00:00Z", "user_4712": 1}
    twin = _fast_of(other)
    assert twin is not None and twin.record.__code__ is fast.record.__code__  # compiled once
    record = _fast_record(twin, tuple(other.values()))
    assert record is not None and b"user_4712" in record[0] and b"user_4711" not in record[0]
    lines = "\n".join(json.dumps({**line, f"k{i}": i}) for i in range(50)).encode()  # all new shapes
    compiled = sum(type(found) is fastpath.Fast for found in fastpath._FAST.values())
    assert convert(lines, Context(None, (), time.time_ns()), LineLimits())[1].mapped == 50
    assert sum(type(found) is fastpath.Fast for found in fastpath._FAST.values()) == compiled


def _json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()


def check_request(otlp: bytes) -> int:
    """Take what a conversion produced through the OTLP decode; return the records stored.

    The receivers hand these bodies to storage without that decode, so it must find them canonical,
    on the flat route, with nothing to reject, cut or repair.
    """
    if not otlp:
        return 0
    assert ExportLogsServiceRequest.FromString(otlp).ByteSize() == len(otlp)
    result = decode_protobuf(Signal.LOGS, otlp, LIMITS.otlp)
    assert (result.rejected, result.truncated, result.repaired) == (0, 0, 0), result.message
    assert result.payload is not None
    assert (result.payload.route, result.payload.body) == (Route.FLAT, otlp)
    return result.payload.items


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(JSON, max_size=8))
def test_any_json_lines_map(values: list) -> None:
    body = "\n".join(json.dumps(v) for v in values).encode()  # the standard library writes NaN and big ints
    otlp, report = convert(body, Context("svc", (), time.time_ns()), LIMITS)
    assert report.mapped + report.raw + report.rejected == report.lines
    assert check_request(otlp) == report.mapped + report.raw


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_map(body: bytes) -> None:
    try:
        otlp, report = convert(body, Context(None, (), time.time_ns()), LIMITS)
    except TooManyItems:
        return
    assert check_request(otlp) == report.mapped + report.raw


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000), st.booleans())
def test_loki_decoder_refuses_or_maps_any_bytes(body: bytes, snappy: bool) -> None:
    if snappy:
        body = bytes(cramjam.snappy.compress_raw(body))
    try:
        streams = decode_push(body, is_json=not snappy, limit=1 << 20)
        otlp, report = convert_push(streams, LIMITS, time.time_ns())
    except (InvalidRequest, TooLarge, TooManyItems):
        return
    assert check_request(otlp) == report.entries - report.rejected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.binary(max_size=40)
            | st.sampled_from([b'{app="a"}', b'{job="x", level="warn"}', b"{}", b'{a="\\"q\\""}']),
            st.lists(
                st.tuples(st.integers(0, 2**40), st.binary(max_size=60) | JSON.map(lambda v: json.dumps(v).encode())),
                max_size=5,
            ),
        ),
        max_size=4,
    )
)
def test_loki_protobuf_of_any_shape(streams: list) -> None:
    request = PushRequest()
    now = time.time_ns()
    for labels, entries in streams:
        stream = request.streams.add(labels=labels)
        for offset, line in entries:
            entry = stream.entries.add(line=line)
            entry.timestamp.seconds, entry.timestamp.nanos = divmod(now - offset, 10**9)
    body = bytes(cramjam.snappy.compress_raw(request.SerializeToString()))
    try:
        otlp, report = convert_push(decode_push(body, False, 1 << 20), LIMITS, now)
    except InvalidRequest as exc:
        assert "labels" in str(exc)
        return
    assert check_request(otlp) == report.entries - report.rejected


def test_memory_stays_bounded_on_the_nasty_bodies() -> None:
    """Converting each corpus body peaks at a small multiple of its size (Python objects per line, then bytes)."""
    for path in sorted(CORPUS.glob("jsonlines-*")):
        body = path.read_bytes()
        tracemalloc.start()
        convert(body, Context(None, (), time.time_ns()), LineLimits())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 4 * len(body) + 2_000_000, (path.name, peak)


@pytest.fixture
def corpus_collector(chdb_path, store, database):
    """A collector that keeps any time (logs TTL off), since corpus files carry fixed timestamps."""
    yield from start_live_collector(chdb_path, store, database, OTELHOUSE_RETENTION_TTL_MARGIN_DAYS="0")


def test_corpus_through_a_running_collector(corpus_collector: LiveCollector) -> None:
    expected = tomllib.loads((CORPUS / "expected.toml").read_text())
    assert set(expected) == {p.name for p in CORPUS.glob("*-*.*")}  # every file is listed
    routes = {
        "jsonlines": ("/v1/logs/json", "application/x-ndjson"),
        "loki-protobuf": ("/loki/api/v1/push", "application/x-protobuf"),
        "loki-json": ("/loki/api/v1/push", "application/json"),
    }
    stored = 0
    for name, want in expected.items():
        path, content_type = routes[want["route"]]
        response = requests.post(
            corpus_collector.http_url + path,
            data=(CORPUS / name).read_bytes(),
            headers={"Content-Type": content_type},
            timeout=60,
        )
        assert response.status_code == want["status"], (name, response.status_code, response.text[:300])
        if want["route"] == "jsonlines":
            report = response.json()
            for key in ("mapped", "raw", "rejected", "repaired"):
                assert report[key] == want.get(key, 0), (name, key, report)
            stored += report["stored"]
        elif want["status"] == 204:
            stored += 2
    assert corpus_collector.query("SELECT count() FROM {db}.otel_logs") == [(stored,)]
    rows = dict(corpus_collector.query("SELECT Body, LogAttributes['n'] FROM {db}.otel_logs WHERE Body = 'big'"))
    assert rows == {"big": "340282366920938463463374607431768211456"}
