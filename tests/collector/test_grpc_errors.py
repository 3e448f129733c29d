"""OTLP/gRPC status codes: bad bytes, ingest keys, gzip, partial success, overload with RetryInfo."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from collector.otlp_http import RECEIVER_KEY
from tests.collector.conftest import LiveCollector, start_live_collector
from tests.collector.test_http_errors import span_request

METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def export(target: str, body: bytes, metadata=(), compression=None) -> bytes:
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
        return call(body, metadata=metadata, timeout=30, compression=compression)


def test_random_bytes_are_invalid_argument(live: LiveCollector) -> None:
    with pytest.raises(grpc.RpcError) as err:
        export(live.grpc_target, os.urandom(2048))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details()
    reply = export(live.grpc_target, span_request(2).SerializeToString(), compression=grpc.Compression.Gzip)
    assert tpb.ExportTraceServiceResponse.FromString(reply) == tpb.ExportTraceServiceResponse()
    assert live.query("SELECT count() FROM {db}.otel_traces") == [(2,)]


def test_partial_success_over_grpc(live: LiveCollector) -> None:
    req = span_request(1)
    req.resource_spans[0].scope_spans[0].spans.add(trace_id=b"", span_id=b"\x01" * 8, name="no-trace")
    reply = tpb.ExportTraceServiceResponse.FromString(export(live.grpc_target, req.SerializeToString()))
    assert reply.partial_success.rejected_spans == 1
    assert live.query("SELECT SpanName FROM {db}.otel_traces") == [("op0",)]


@pytest.fixture
def keyed(chdb_path, store, database) -> Iterator[LiveCollector]:
    yield from start_live_collector(chdb_path, store, database, OTELHOUSE_COLLECTOR_API_KEYS="grpc-key-1234")


def test_ingest_keys_over_grpc(keyed: LiveCollector) -> None:
    body = span_request().SerializeToString()
    for metadata in ((), (("authorization", "Bearer nope"),)):
        with pytest.raises(grpc.RpcError) as err:
            export(keyed.grpc_target, body, metadata)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    export(keyed.grpc_target, body, (("authorization", "Bearer grpc-key-1234"),))
    export(keyed.grpc_target, body, (("x-api-key", "grpc-key-1234"),))
    assert keyed.query("SELECT count() FROM {db}.otel_traces") == [(2,)]


@pytest.fixture
def quick_retry(chdb_path, store, database) -> Iterator[LiveCollector]:
    yield from start_live_collector(chdb_path, store, database, OTELHOUSE_COLLECTOR_RETRY_AFTER_S="1")


def test_a_full_body_budget_is_resource_exhausted_with_retry_info(quick_retry: LiveCollector) -> None:
    budget = quick_retry.app()[RECEIVER_KEY].budget
    assert budget.try_take(budget.limit)  # as if other uploads held every byte
    with pytest.raises(grpc.RpcError) as err:
        export(quick_retry.grpc_target, span_request().SerializeToString())
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    trailers = dict(err.value.trailing_metadata())
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0] and "max_inflight_body_bytes" in status.message
    info = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info) and info.retry_delay.seconds == 1
    assert error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"]) == info
    # the real SDK exporter waits the delay it was given and retries: the span is stored once room is made
    threading.Timer(0.5, budget.release, (budget.limit,)).start()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=quick_retry.grpc_target, insecure=True)))
    started = time.monotonic()
    with provider.get_tracer("t").start_as_current_span("retried"):
        pass
    provider.shutdown()
    assert time.monotonic() - started >= 0.5
    quick_retry.wait_stored()
    assert quick_retry.query("SELECT SpanName FROM {db}.otel_traces") == [("retried",)]
