"""Jaeger ingest with a real Python Jaeger client (jaeger-client, UDP agent protocol), bad input, fuzzing.

OpenTelemetry's Python Jaeger exporter no longer imports with the current SDK; jaeger-client (the
OpenTracing Jaeger client) reports over UDP only. The HTTP transport is exercised by the Go
service's OpenTelemetry Jaeger exporter (tests/examples/test_go_service.py).
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jaeger_client import Config
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from thriftpy2.protocol.binary import TBinaryProtocolFactory
from thriftpy2.utils import serialize

from collector.jaeger.thrift import decode_agent_datagram, decode_batch, jaeger
from collector.jaeger.translate import to_otlp
from collector.otlp.model import InvalidRequest
from tests.collector.conftest import start_live_collector
from tests.conftest import free_port

SPANS = """
SELECT SpanName, SpanKind, ServiceName, TraceId, SpanId, ParentSpanId, StatusCode, SpanAttributes,
       Events.Name, ResourceAttributes['host.name']
FROM {db}.otel_traces WHERE ServiceName = {service:String} ORDER BY SpanName
"""


@pytest.fixture
def jaeger_live(chdb_path, store, database):
    udp = free_port()
    yield from start_live_collector(
        chdb_path, store, database, OTELHOUSE_JAEGER_UDP_ENABLED="true", OTELHOUSE_JAEGER_UDP_PORT=str(udp)
    )


def send_trace(port: int, service: str) -> tuple[str, str]:
    """A checkout span with a payment child from jaeger-client; return (trace id, checkout span id) in hex."""
    config = Config(
        config={
            "sampler": {"type": "const", "param": 1},
            "local_agent": {"reporting_host": "127.0.0.1", "reporting_port": port},
            "tags": {"host.name": "box-1"},
            "logging": False,
        },
        service_name=service,
        validate=True,
    )
    # jaeger-client's tornado reporter wants a current event loop on this thread (an async test run
    # before may have left none)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    tracer = config.new_tracer()
    with tracer.start_active_span("checkout", tags={"span.kind": "server", "order.items": 3}) as parent:
        with tracer.start_active_span("payment", tags={"span.kind": "client"}) as child:
            child.span.log_kv({"event": "card declined", "attempt": 1})
            child.span.set_tag("error", True)
        ctx = parent.span.context
    time.sleep(0.3)  # the reporter flushes on its own thread
    tracer.close()
    asyncio.set_event_loop(None)
    loop.close()
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


def wait_spans(live, service: str, n: int, timeout: float = 20) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while True:
        rows = live.query(SPANS, service=service)
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_python_jaeger_client_spans_stored(jaeger_live):
    live = jaeger_live
    trace_id, checkout_id = send_trace(live.settings.jaeger.udp_port, "shop")
    rows = wait_spans(live, "shop", 2)
    assert len(rows) == 2, rows
    checkout, payment = rows
    assert checkout[:5] == ("checkout", "Server", "shop", trace_id, checkout_id)
    assert checkout[5] == "" and checkout[7]["order.items"] == "3"
    assert payment[:4] == ("payment", "Client", "shop", trace_id)
    assert payment[5] == checkout_id, "the child's parent is the checkout span"
    assert payment[6] == "Error" and payment[8] == ["card declined"]
    assert checkout[9] == "box-1", "process tags become resource attributes"


def test_malformed_thrift_gets_400_never_500(jaeger_live):
    live = jaeger_live
    good = serialize(
        jaeger.Batch(process=jaeger.Process(serviceName="s"), spans=[]),
        TBinaryProtocolFactory(),
    )
    cases = {
        b"not thrift at all": 400,
        b"\x0f\x00\x02\x0c\x7f\xff\xff\xff": 400,  # claims 2^31 spans in 8 bytes
        good[:-3]: 400,
        b"": 400,
    }
    for body, want in cases.items():
        req = urllib.request.Request(
            f"{live.http_url}/api/traces", data=body, headers={"Content-Type": "application/x-thrift"}
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == want, (body, err.value.read())
        assert b"Jaeger" in err.value.read() or body == b""
    req = urllib.request.Request(f"{live.http_url}/api/traces", data=good, headers={"Content-Type": "text/plain"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 415
    assert live.query("SELECT count() FROM {db}.otel_traces") == [(0,)]


def _valid_batch_bytes() -> bytes:
    span = jaeger.Span(
        traceIdLow=1,
        traceIdHigh=2,
        spanId=3,
        parentSpanId=0,
        operationName="op",
        flags=1,
        startTime=1_700_000_000_000_000,
        duration=5,
        tags=[jaeger.Tag(key="k", vType=0, vStr="v"), jaeger.Tag(key="n", vType=3, vLong=7)],
        logs=[jaeger.Log(timestamp=1_700_000_000_000_001, fields=[jaeger.Tag(key="event", vType=0, vStr="e")])],
        references=[jaeger.SpanRef(refType=1, traceIdLow=1, traceIdHigh=2, spanId=9)],
    )
    return serialize(jaeger.Batch(process=jaeger.Process(serviceName="s"), spans=[span]), TBinaryProtocolFactory())


VALID = _valid_batch_bytes()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), st.tuples(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=8))))
def test_fuzz_thrift_decoders_raise_only_invalid_request(case):
    """Random bytes and valid batches with bytes overwritten: decoded and translated, or InvalidRequest."""
    if isinstance(case, tuple):
        at, patch = case
        data = VALID[:at] + patch + VALID[at + len(patch) :]
    else:
        data = case
    for decode in (decode_batch, decode_agent_datagram):
        try:
            translated = to_otlp(decode(data))
        except InvalidRequest:
            continue
        # whatever was read is either translated or counted as rejected, and the body parses as OTLP
        request = ExportTraceServiceRequest.FromString(translated.body)
        assert translated.items == sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def test_valid_batch_translates_ids_links_events():
    translated = to_otlp(decode_batch(VALID))
    span = ExportTraceServiceRequest.FromString(translated.body).resource_spans[0].scope_spans[0].spans[0]
    assert (translated.items, translated.rejected) == (1, 0)
    assert span.trace_id.hex() == "00000000000000020000000000000001" and span.span_id.hex() == "0000000000000003"
    assert span.links[0].span_id.hex() == "0000000000000009" and span.events[0].name == "e"
    assert {kv.key: kv.value.int_value for kv in span.attributes}["n"] == 7
