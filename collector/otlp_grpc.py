"""OTLP/gRPC receiver: TraceService, MetricsService and LogsService Export on grpcio's asyncio server.

Methods are registered without deserializers so a handler gets the raw request bytes and feeds the
same decoder, and the same fast path, as OTLP/HTTP.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import grpc

from collector.errors import Unauthenticated, outcome_for
from collector.otlp.model import Signal
from collector.otlp.responses import export_response
from collector.receiver import Receiver
from collector.transport import bearer_or_api_key, check_key

log = logging.getLogger(__name__)

SERVICES = {
    Signal.TRACES: "opentelemetry.proto.collector.trace.v1.TraceService",
    Signal.METRICS: "opentelemetry.proto.collector.metrics.v1.MetricsService",
    Signal.LOGS: "opentelemetry.proto.collector.logs.v1.LogsService",
}

Handler = Callable[[bytes, grpc.aio.ServicerContext], Awaitable[bytes]]


def _export_handler(receiver: Receiver, signal: Signal) -> Handler:
    async def export(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        started = time.perf_counter()
        metadata = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        try:
            try:
                check_key(
                    bearer_or_api_key(metadata.get("authorization"), metadata.get("x-api-key")),
                    receiver.api_keys,
                )
            except Unauthenticated:
                receiver.metrics.auth_failures.labels("grpc").inc()
                raise
            result = await receiver.ingest(signal, "grpc", "protobuf", request)
        except Exception as exc:
            outcome = outcome_for(exc)
            if outcome is None:
                log.exception("unexpected error handling an OTLP/gRPC request")
                code, message = grpc.StatusCode.INTERNAL, "internal error; see the collector's log"
            else:
                code, message = outcome.grpc_code, str(exc)
            receiver.observe(signal, "grpc", code.name, started)
            await context.abort(code, message)
        receiver.observe(signal, "grpc", "OK", started)
        return export_response(signal, result.rejected, result.message).SerializeToString()

    return export


async def start_grpc_server(
    receiver: Receiver, host: str, port: int, max_message_bytes: int
) -> tuple[grpc.aio.Server, int]:
    """Start the OTLP/gRPC server; return it and the port it bound."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ]
    )
    for signal, service in SERVICES.items():
        handler = grpc.unary_unary_rpc_method_handler(
            _export_handler(receiver, signal), request_deserializer=None, response_serializer=None
        )
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, {"Export": handler}),))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen for OTLP/gRPC on {host}:{port} (address in use?)")
    await server.start()
    return server, bound
