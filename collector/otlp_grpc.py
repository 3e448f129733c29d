"""OTLP/gRPC receiver: TraceService, MetricsService and LogsService Export on grpcio's asyncio server.

Methods are registered as stream-unary without deserializers: the handler checks the ingest key
from the metadata and takes the message's bytes from the shared budget before it asks for the
message, so a client without a key, or one arriving when the budget is full, is refused before its
message is buffered (HTTP/2 flow control holds the rest at the client). The message arrives as raw
bytes and feeds the same decoder, and the same fast path, as OTLP/HTTP.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc

from collector.errors import ClientEvent, Unauthenticated, outcome_for
from collector.otlp.model import InvalidRequest, Signal
from collector.otlp.responses import export_response, retry_trailers
from collector.receiver import Receiver
from collector.transport import bearer_or_api_key, cap_message, check_key
from otelhouse.config import CollectorSettings

log = logging.getLogger(__name__)

SERVICES = {
    Signal.TRACES: "opentelemetry.proto.collector.trace.v1.TraceService",
    Signal.METRICS: "opentelemetry.proto.collector.metrics.v1.MetricsService",
    Signal.LOGS: "opentelemetry.proto.collector.logs.v1.LogsService",
}


class IncompleteMessage(InvalidRequest):
    """The stream ended before one whole request message arrived (INVALID_ARGUMENT; a client event)."""


Handler = Callable[[object, grpc.aio.ServicerContext], Awaitable[bytes]]


@dataclass(frozen=True)
class GrpcLimits:
    max_message: int
    read_timeout_s: float  # for the one request message to arrive


def server_options(c: CollectorSettings) -> list[tuple[str, int]]:
    """grpc server options: message size, connection and stream caps, keepalive, idle and age."""
    ms = 1000
    return [
        ("grpc.max_receive_message_length", c.grpc_max_message_bytes),
        ("grpc.max_concurrent_streams", c.grpc_max_concurrent_streams),
        # no window growth from bandwidth probes: a stream not yet admitted holds at most the
        # initial HTTP/2 window (64 KiB) in grpc's buffers, whatever its client sends
        ("grpc.http2.bdp_probe", 0),
        ("grpc.max_allowed_incoming_connections", c.max_connections),
        ("grpc.keepalive_time_ms", int(c.grpc_keepalive_s * ms)),
        ("grpc.keepalive_timeout_ms", 20 * ms),
        ("grpc.max_connection_idle_ms", int(c.grpc_max_connection_idle_s * ms)),
        ("grpc.max_connection_age_ms", int(c.grpc_max_connection_age_s * ms)),
        ("grpc.max_connection_age_grace_ms", 30 * ms),
        # clients may ping about as often as the SDKs do (every 10 s or more), no flood
        ("grpc.http2.min_ping_interval_without_data_ms", 10 * ms),
        ("grpc.http2.max_ping_strikes", 2),
        ("grpc.so_reuseport", 0),
    ]


def grpc_limits(c: CollectorSettings) -> GrpcLimits:
    return GrpcLimits(c.grpc_max_message_bytes, c.body_grace_s + c.grpc_max_message_bytes / c.body_min_rate_bytes)


async def _read_message(context: grpc.aio.ServicerContext, limits: GrpcLimits) -> bytes:
    try:
        async with asyncio.timeout(limits.read_timeout_s):
            message = await context.read()
    except TimeoutError:
        raise ClientEvent(
            "body_timeout",
            f"request message did not arrive within {limits.read_timeout_s:.0f} s "
            "(collector.body_grace_s + grpc_max_message_bytes / body_min_rate_bytes)",
        ) from None
    if message is grpc.aio.EOF:
        # the client ended the stream, or its connection went away, mid-message: grpc tells the
        # two apart only later, so both are counted as the client's doing
        raise IncompleteMessage("the stream ended without a complete request message")
    return message


def _export_handler(receiver: Receiver, signal: Signal, limits: GrpcLimits) -> Handler:
    async def export(_: object, context: grpc.aio.ServicerContext) -> bytes:
        started = time.perf_counter()
        metadata = dict(context.invocation_metadata() or ())
        try:
            try:
                check_key(
                    bearer_or_api_key(metadata.get("authorization"), metadata.get("x-api-key")), receiver.api_keys()
                )
            except Unauthenticated:
                receiver.metrics.auth_failures.labels("grpc").inc()
                raise
            with receiver.budget.reserve(limits.max_message) as reservation:
                request = await _read_message(context, limits)
                reservation.resize(len(request))
                result = await receiver.ingest(signal, "grpc", "protobuf", request)
        except asyncio.CancelledError:
            receiver.client_event("grpc", "cancelled")  # the client cancelled or went away
            raise
        except Exception as exc:
            outcome = outcome_for(exc)
            trailers: tuple[tuple[str, bytes], ...] = ()
            if outcome is None:
                log.exception("unexpected error handling an OTLP/gRPC request")
                code, message = grpc.StatusCode.INTERNAL, "internal error; see the collector's log"
            else:
                code, message = outcome.grpc_code, cap_message(str(exc))
                if outcome.retry_after:  # overload or storage down: temporary, retry after this long
                    trailers = retry_trailers(code.value[0], message, outcome.retry_after)
            if isinstance(exc, ClientEvent):
                receiver.client_event("grpc", exc.reason)
            elif isinstance(exc, IncompleteMessage):
                receiver.client_event("grpc", "incomplete_message")
            receiver.observe(signal, "grpc", code.name, started)
            await context.abort(code, message, trailers)
        receiver.observe(signal, "grpc", "OK", started)
        return export_response(signal, result.rejected, result.message).SerializeToString()

    return export


async def start_grpc_server(receiver: Receiver, c: CollectorSettings) -> tuple[grpc.aio.Server, int]:
    """Start the OTLP/gRPC server; return it and the port it bound (OSError naming the port if it cannot)."""
    server = grpc.aio.server(options=server_options(c))
    limits = grpc_limits(c)
    for signal, service in SERVICES.items():
        handler = grpc.stream_unary_rpc_method_handler(
            _export_handler(receiver, signal, limits), request_deserializer=None, response_serializer=None
        )
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, {"Export": handler}),))
    try:
        bound = server.add_insecure_port(f"{c.host}:{c.grpc_port}")
    except RuntimeError:  # grpcio raises this, with C-core's text, when the bind fails
        bound = 0
    if bound == 0:
        await server.stop(None)
        raise GrpcBindError(_bind_errno(c.host, c.grpc_port), "cannot listen for OTLP/gRPC")
    await server.start()
    return server, bound


class GrpcBindError(OSError):
    """The gRPC port could not be bound; errno says why."""


def _bind_errno(host: str, port: int) -> int:
    """Why binding failed: grpc does not say, so try the same bind with a plain socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as probe:
            probe.bind((host, port))
    except OSError as exc:
        return exc.errno or errno.EADDRINUSE
    return errno.EADDRINUSE  # free again by now: it was taken a moment ago
