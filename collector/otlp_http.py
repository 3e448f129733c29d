"""OTLP/HTTP receiver: POST /v1/traces, /v1/metrics, /v1/logs in protobuf or JSON.

Order of work per request, cheapest refusal first: media type, ingest key, then admission (the
body's bytes taken from the shared budget before any is read), then the body read at a minimum
rate, decompressed off the event loop, decoded and queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from collector.budget import Reservation
from collector.errors import ClientEvent, TooLarge, Unauthenticated, UnsupportedMediaType, outcome_for
from collector.otlp.json_codec import encode_response, encode_status
from collector.otlp.model import InvalidRequest, Signal
from collector.otlp.responses import export_response, status_message
from collector.receiver import Receiver
from collector.transport import bearer_or_api_key, cap_message, check_key

log = logging.getLogger(__name__)
RECEIVER_KEY = web.AppKey("receiver", Receiver)

MEDIA_TYPES = {
    "application/x-protobuf": "protobuf",
    "application/protobuf": "protobuf",
    "application/json": "json",
}
CONTENT_TYPE = {"protobuf": "application/x-protobuf", "json": "application/json"}


@dataclass(frozen=True)
class BodyLimits:
    """How large and how slow a request body may be."""

    max_body: int
    max_decompressed: int
    grace_s: float = 10.0
    min_rate: int = 64 * 1024  # bytes/s, on average, after grace_s


LIMITS_KEY = web.AppKey("limits", BodyLimits)


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header value, lowercased, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def media_format(content_type: str | None) -> str:
    """Return 'protobuf' or 'json' for a Content-Type, or raise UnsupportedMediaType."""
    fmt = MEDIA_TYPES.get(media_type(content_type))
    if fmt is None:
        shown = repr(cap_message(content_type, 64)) if content_type else "missing"
        raise UnsupportedMediaType(
            f"Content-Type {shown} is not supported; send application/x-protobuf or application/json"
        )
    return fmt


async def read_body(request: web.Request, reservation: Reservation, limits: BodyLimits) -> bytes:
    """Read the body within its size limit and minimum rate; the reservation shrinks to its size."""
    chunks: list[bytes] = []
    size = 0
    started = time.monotonic()
    while True:
        # the bytes received so far buy time: grace_s, then 1 s per min_rate bytes
        allowed = started + limits.grace_s + size / limits.min_rate - time.monotonic()
        try:
            # what has arrived already is taken without a timer (most bodies are here with their head)
            chunk = request.content.read_nowait()
            if not chunk and not request.content.at_eof():
                async with asyncio.timeout(max(allowed, 0)):
                    chunk = await request.content.readany()
        except TimeoutError:
            raise ClientEvent(
                "body_timeout",
                f"request body arrived slower than collector.body_min_rate_bytes ({limits.min_rate} bytes/s)",
            ) from None
        except ConnectionError:
            raise ClientEvent("disconnect", "client disconnected mid-body") from None
        except RequestPayloadError as exc:
            raise InvalidRequest(f"request body is malformed: {exc}") from None
        if not chunk:
            break
        size += len(chunk)
        if size > limits.max_body:
            raise TooLarge(f"request body is larger than {limits.max_body} bytes (collector.max_body_bytes)")
        chunks.append(chunk)
    reservation.resize(size)
    return b"".join(chunks)


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
    code, text = outcome.grpc_code.value[0], cap_message(str(exc))
    if fmt == "json":
        response = web.Response(
            status=outcome.http_status, body=encode_status(code, text), content_type="application/json", headers=headers
        )
    else:
        response = _reply(fmt, outcome.http_status, status_message(code, text), headers)
    if isinstance(exc, ClientEvent):
        response.force_close()
    return response


async def _export(request: web.Request, receiver: Receiver, signal: Signal, fmt: str) -> web.Response:
    limits = request.app[LIMITS_KEY]
    try:
        check_key(
            bearer_or_api_key(request.headers.get("Authorization"), request.headers.get("X-API-Key")),
            receiver.api_keys(),
        )
    except Unauthenticated:
        receiver.metrics.auth_failures.labels("http").inc()
        raise
    async with received_body(request, receiver, limits) as body:
        result = await receiver.ingest(signal, "http", fmt, body)
    return _reply(fmt, 200, export_response(signal, result.rejected, result.message))


@contextlib.asynccontextmanager
async def received_body(
    request: web.Request, receiver: Receiver, limits: BodyLimits, decompress: bool = True
) -> AsyncIterator[bytes]:
    """Admit a body into the shared budget before reading it, read it at a minimum rate, decompress it
    off the event loop; its bytes stay reserved while the caller decodes and stores them."""
    declared = request.content_length
    if declared is not None and declared > limits.max_body:
        raise TooLarge(f"request body is larger than {limits.max_body} bytes (collector.max_body_bytes)")
    with receiver.budget.reserve(limits.max_body if declared is None else declared) as reservation:
        body = await read_body(request, reservation, limits)
        if decompress:
            body = await receiver.decompress(
                body, request.headers.get("Content-Encoding"), limits.max_decompressed, reservation
            )
        yield body


async def export(request: web.Request) -> web.Response:
    receiver = request.app[RECEIVER_KEY]
    signal = Signal(request.match_info["signal"])
    started = time.perf_counter()
    fmt = MEDIA_TYPES.get(media_type(request.headers.get("Content-Type")), "protobuf")
    try:
        fmt = media_format(request.headers.get("Content-Type"))
        response = await _export(request, receiver, signal, fmt)
    except Exception as exc:
        if isinstance(exc, ClientEvent):
            receiver.client_event("http", exc.reason)
        response = error_reply(exc, fmt)
    receiver.observe(signal, "http", str(response.status), started)
    return response


def add_otlp_routes(app: web.Application, limits: BodyLimits) -> None:
    """Register the three OTLP/HTTP export routes (the app holds the receiver under RECEIVER_KEY)."""
    app[LIMITS_KEY] = limits
    app.router.add_post("/v1/{signal:traces|metrics|logs}", export)
