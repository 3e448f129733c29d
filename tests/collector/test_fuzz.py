"""Fuzzing every decoder (hypothesis, atheris) and the bad-input corpus against a live collector.

The promise under test: whatever the bytes, a decoder raises only its documented errors, the HTTP
handler never answers 5xx, the process stays healthy with bounded memory, and what is accepted is
stored (read back from ClickHouse).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import resource
import subprocess
import sys
import tomllib
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.errors import TooLarge, UnsupportedMediaType
from collector.otlp.decode import decode_message, decode_protobuf
from collector.otlp.json_codec import parse_json
from collector.otlp.limits import Limits, attribute_lists
from collector.otlp.model import InvalidRequest, Signal
from collector.otlp.responses import REQUEST_TYPES
from collector.transport import decompress
from storage import Store, schema_options
from tests.collector.conftest import LiveCollector, start_live_collector
from tests.collector.test_http_errors import post
from tests.conftest import make_settings
from tests.storage.otlp_samples import fill, log_request, metric_request, trace_request

CORPUS = Path(__file__).parent / "corpus"
SAMPLES = {
    Signal.TRACES: trace_request().SerializeToString(),
    Signal.LOGS: log_request().SerializeToString(),
    Signal.METRICS: metric_request().SerializeToString(),
}
LIMITS = Limits(max_value_length=150, max_depth=4, max_attributes=16)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode_or_refuse(signal: Signal, body: bytes) -> None:
    """Decode; on success the stored body must hold exactly the accepted items, all valid."""
    try:
        result = decode_protobuf(signal, body, LIMITS)
    except InvalidRequest:
        return
    if result.payload is not None:
        again = decode_protobuf(signal, result.payload.body, LIMITS)
        assert again.rejected == 0 and again.payload.items == result.payload.items


@st.composite
def mutated(draw: st.DrawFn, signal: Signal) -> bytes:
    """A valid request with bytes flipped, inserted, deleted or cut."""
    body = bytearray(SAMPLES[signal])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if op == "flip" and at < len(body):
            body[at] = draw(st.integers(0, 255))
        elif op == "insert":
            body[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del body[at : at + draw(st.integers(1, 8))]
        elif op == "cut":
            del body[at:]
    return bytes(body)


@pytest.mark.parametrize("signal", list(Signal))
@FUZZ
@given(data=st.data())
def test_decode_protobuf_survives_random_and_mutated_bytes(signal: Signal, data: st.DataObject) -> None:
    decode_or_refuse(signal, data.draw(st.binary(max_size=512)))
    decode_or_refuse(signal, data.draw(mutated(signal)))


ANY_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.text(max_size=400) | st.binary(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


@FUZZ
@given(values=st.lists(ANY_VALUES, min_size=1, max_size=6))
def test_no_string_longer_than_the_limit_survives(values: list[object]) -> None:
    """The cheap scan that gates truncation has no false negatives, at any nesting the limit allows."""
    req = REQUEST_TYPES[Signal.TRACES].FromString(SAMPLES[Signal.TRACES])
    span = req.resource_spans[0].scope_spans[0].spans[0]
    del span.attributes[:]
    for i, v in enumerate(values):
        fill(span.attributes.add(key=f"a{i}").value, v)
    result = decode_protobuf(Signal.TRACES, req.SerializeToString(), LIMITS)
    if result.payload is None:
        return
    stored = REQUEST_TYPES[Signal.TRACES].FromString(result.payload.body)
    strings = [s for attrs in attribute_lists(Signal.TRACES, stored) for kv in attrs for s in _strings(kv.value)]
    assert all(len(s) <= LIMITS.max_value_length for s in strings)


def _strings(value) -> Iterator[str]:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        yield value.string_value
    elif kind == "array_value":
        for v in value.array_value.values:
            yield from _strings(v)
    elif kind == "kvlist_value":
        for kv in value.kvlist_value.values:
            yield from _strings(kv.value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
JSON_KEYS = ["resourceSpans", "scopeSpans", "spans", "traceId", "spanId", "attributes", "value", "name"]


@pytest.mark.parametrize("signal", list(Signal))
@FUZZ
@given(raw=st.binary(max_size=256), document=JSON, key=st.sampled_from(JSON_KEYS))
def test_parse_json_raises_only_invalid_request(signal: Signal, raw: bytes, document: object, key: str) -> None:
    for body in (raw, json.dumps(document).encode(), json.dumps({key: document}).encode()):
        with contextlib.suppress(InvalidRequest):
            decode_message(signal, parse_json(signal, body), LIMITS)


@FUZZ
@given(
    body=st.binary(max_size=512) | st.binary(max_size=4096).map(gzip.compress),
    encoding=st.sampled_from(["gzip", "deflate", "zstd", "identity", "br", " GZIP "]),
)
def test_decompress_raises_only_ingest_errors(body: bytes, encoding: str) -> None:
    try:
        out = decompress(body, encoding, 1000)
    except (InvalidRequest, TooLarge, UnsupportedMediaType):
        return
    assert len(out) <= 1000 or encoding == "identity"


@pytest.mark.slow
def test_atheris_over_every_decoder() -> None:
    """libFuzzer-driven inputs into decode_protobuf, parse_json and decompress; a crash fails the run."""
    pytest.importorskip("atheris")
    run = subprocess.run(
        [sys.executable, str(CORPUS / "fuzz_decoders.py"), "-runs=200000", "-max_len=4096", "-seed=5"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-3000:]


# --- the full HTTP handler, live


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def healthy(live: LiveCollector) -> bool:
    with urllib.request.urlopen(f"{live.http_url}/healthz", timeout=5) as response:
        return response.status == 200


HTTP_BODIES = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from(list(Signal)).flatmap(mutated),
    JSON.map(lambda d: json.dumps(d).encode()),
)
COMPRESS = {"": lambda b: b, "gzip": gzip.compress, "deflate": zlib.compress, "zstd": zstandard.compress}


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=HTTP_BODIES,
    signal=st.sampled_from(list(Signal)),
    content_type=st.sampled_from(["application/x-protobuf", "application/json", "text/plain"]),
    encoding=st.sampled_from(sorted(COMPRESS)),
)
def test_http_handler_never_answers_5xx(
    live: LiveCollector, body: bytes, signal: Signal, content_type: str, encoding: str
) -> None:
    headers = {"Content-Type": content_type} | ({"Content-Encoding": encoding} if encoding else {})
    code, _, _ = post(f"{live.http_url}/v1/{signal}", COMPRESS[encoding](body), headers)
    assert code < 500


@pytest.mark.slow
def test_memory_stays_bounded_across_many_bad_requests(live: LiveCollector) -> None:
    """Mutated and random bodies in a loop: the process stays healthy and its peak RSS grows little."""
    rows_before = live.query("SELECT count() FROM {db}.otel_traces")[0][0]
    assert rows_before == 0
    rng = random.Random(5)
    bodies = [_mutate(SAMPLES[signal], rng) for signal in Signal for _ in range(5)]
    warm = max_rss_mb()
    for round_ in range(40):
        for i, body in enumerate(bodies):
            signal = list(Signal)[i // 5]
            code, _, _ = post(f"{live.http_url}/v1/{signal}", body, {"Content-Type": "application/x-protobuf"})
            assert code < 500, (round_, i)
    assert healthy(live)
    growth = max_rss_mb() - warm
    assert growth < 150, f"peak RSS grew {growth:.0f} MB over {40 * len(bodies)} requests"


def _mutate(body: bytes, rng: random.Random) -> bytes:
    out = bytearray(body)
    for _ in range(3):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out[: rng.randrange(len(out) // 2, len(out) + 1)])


# --- the corpus


CASES = tomllib.loads((CORPUS / "expected.toml").read_text())
TABLES = {"traces": "otel_traces", "logs": "otel_logs", "metrics": "otel_metrics_gauge"}
FOREVER = {"OTELHOUSE_RETENTION_TTL_MARGIN_DAYS": "0"}  # no table TTL, so the files' 2024 times are accepted


@pytest.fixture(scope="module")
def corpus_live(engine: Store, chdb_path: Path) -> Iterator[LiveCollector]:
    database = "t_corpus"
    store = Store(engine.target, schema_options(make_settings(chdb_path, database, **FOREVER), database))
    store.migrate()
    try:
        yield from start_live_collector(chdb_path, store, database, **FOREVER)
    finally:
        store.call(lambda c: c.command(f"DROP DATABASE IF EXISTS {database}"))
        store.close()


def response_message(fmt: str, signal: str, code: int, reply: bytes) -> tuple[str, int]:
    """(message, rejected count) from an OTLP/HTTP response body in either encoding."""
    from google.rpc import status_pb2

    from collector.otlp.responses import export_response

    if fmt == "application/json":
        document = json.loads(reply)
        partial = document.get("partialSuccess", {})
        rejected = next((int(v) for k, v in partial.items() if k.startswith("rejected")), 0)
        return document.get("message", partial.get("errorMessage", "")), rejected
    if code != 200:
        return status_pb2.Status.FromString(reply).message, 0
    response = type(export_response(Signal(signal))).FromString(reply)
    partial = response.partial_success
    rejected = next((v for f, v in partial.ListFields() if f.name.startswith("rejected")), 0)
    return partial.error_message, rejected


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_case(corpus_live: LiveCollector, name: str) -> None:
    case = CASES[name]
    table = f"{{db}}.{TABLES[case['path']]}"
    before = corpus_live.query(f"SELECT count() FROM {table}")[0][0]
    headers = {"Content-Type": case["content_type"]}
    if "content_encoding" in case:
        headers["Content-Encoding"] = case["content_encoding"]
    body = (CORPUS / case["file"]).read_bytes()
    code, _, reply = post(f"{corpus_live.http_url}/v1/{case['path']}", body, headers)
    assert code == case["status"], reply[:300]
    message, rejected = response_message(case["content_type"], case["path"], code, reply)
    assert case.get("message", "") in message
    assert rejected == case.get("rejected", 0)
    stored = corpus_live.query(f"SELECT count() FROM {table}")[0][0] - before
    assert stored == case.get("stored", 0)
    assert healthy(corpus_live)


def test_corpus_is_complete_and_small() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.is_file() and p.suffix not in (".py", ".toml")}
    assert files == {case["file"] for case in CASES.values()}
    assert sum((CORPUS / f).stat().st_size for f in files) < 1024 * 1024
