"""OTLP/HTTP receiver: POST /v1/traces, /v1/metrics, /v1/logs in protobuf or JSON."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from collector.errors import TooLarge, Unauthenticated, UnsupportedMediaType, outcome_for
from collector.otlp.json_codec import encode_response, encode_status
from collector.otlp.model import Signal
from collector.otlp.responses import export_response, status_message
from collector.receiver import Receiver
from collector.transport import bearer_or_api_key, check_key, decompress

log = logging.getLogger(__name__)
RECEIVER_KEY = web.AppKey("receiver", Receiver)
LIMITS_KEY = web.AppKey("limits", tuple)  # (max_body_bytes, max_decompressed_bytes)

MEDIA_TYPES = {
    "application/x-protobuf": "protobuf",
    "application/protobuf": "protobuf",
    "application/json": "json",
}
CONTENT_TYPE = {"protobuf": "application/x-protobuf", "json": "application/json"}


def media_format(content_type: str) -> str:
    """Return 'protobuf' or 'json' for a Content-Type, or raise UnsupportedMediaType."""
    fmt = MEDIA_TYPES.get(content_type.lower())
    if fmt is None:
        raise UnsupportedMediaType(
            f"Content-Type {content_type or '(none)'!r} is not supported; "
            "send application/x-protobuf or application/json"
        )
    return fmt


async def read_body(request: web.Request, max_body: int, max_decompressed: int) -> bytes:
    """Read the body within the size limits, then decompress it within its own limit."""
    too_large = TooLarge(f"request body is larger than {max_body} bytes (collector.max_body_bytes)")
    if request.content_length is not None and request.content_length > max_body:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(256 * 1024):
        size += len(chunk)
        if size > max_body:
            raise too_large
        chunks.append(chunk)
    return decompress(b"".join(chunks), request.headers.get("Content-Encoding"), max_decompressed)


def _reply(fmt: str, status: int, message, headers: dict[str, str] | None = None) -> web.Response:
    body = encode_response(message) if fmt == "json" else message.SerializeToString()
    return web.Response(status=status, body=body, content_type=CONTENT_TYPE[fmt], headers=headers)


def error_reply(exc: Exception, fmt: str) -> web.Response:
    """Answer an ingest error with its status code and a google.rpc.Status body."""
    outcome = outcome_for(exc)
    if outcome is None:
        log.exception("unexpected error handling an OTLP/HTTP request", exc_info=exc)
        return web.Response(status=500, text="internal error; see the collector's log", content_type="text/plain")
    headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
    code = outcome.grpc_code.value[0]
    if fmt == "json":
        return web.Response(
            status=outcome.http_status,
            body=encode_status(code, str(exc)),
            content_type="application/json",
            headers=headers,
        )
    return _reply(fmt, outcome.http_status, status_message(code, str(exc)), headers)


async def export(request: web.Request) -> web.Response:
    receiver = request.app[RECEIVER_KEY]
    max_body, max_decompressed = request.app[LIMITS_KEY]
    signal = Signal(request.match_info["signal"])
    started = time.perf_counter()
    fmt = MEDIA_TYPES.get(request.content_type.lower(), "protobuf")
    try:
        fmt = media_format(request.content_type)
        try:
            check_key(
                bearer_or_api_key(request.headers.get("Authorization"), request.headers.get("X-API-Key")),
                receiver.api_keys,
            )
        except Unauthenticated:
            receiver.metrics.auth_failures.labels("http").inc()
            raise
        body = await read_body(request, max_body, max_decompressed)
        result = await receiver.ingest(signal, "http", fmt, body)
        response = _reply(fmt, 200, export_response(signal, result.rejected, result.message))
    except Exception as exc:
        response = error_reply(exc, fmt)
    receiver.observe(signal, "http", str(response.status), started)
    return response


def add_otlp_routes(app: web.Application, receiver: Receiver, max_body: int, max_decompressed: int) -> None:
    """Register the three OTLP/HTTP export routes."""
    app[RECEIVER_KEY] = receiver
    app[LIMITS_KEY] = (max_body, max_decompressed)
    app.router.add_post("/v1/{signal:traces|metrics|logs}", export)
