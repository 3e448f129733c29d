"""What the non-OTLP HTTP receivers (remote_write, Jaeger) share: key check, body, plain-text errors.

Their clients read only the status code (and Retry-After), so errors are plain text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from collector.converted import Converted
from collector.errors import Unauthenticated, outcome_for
from collector.otlp.model import InvalidRequest, Signal
from collector.otlp_http import LIMITS_KEY, received_body
from collector.receiver import Receiver
from collector.transport import bearer_or_api_key, check_key

log = logging.getLogger(__name__)
Handler = Callable[[web.Request, bytes], Awaitable[web.Response]]


async def hand_off(receiver: Receiver, signal: Signal, protocol: str, converted: Converted, checked: bool) -> None:
    """Store a converted request; raise InvalidRequest when none of its items could be taken.

    `checked`: the converter applied the OTLP limits itself, so the body skips a second parse.
    """
    if converted.rejected:
        receiver.metrics.items_rejected.labels(signal, protocol).inc(converted.rejected)
    if converted.items and checked:
        await receiver.submit(signal, protocol, converted.body, converted.items)
    elif converted.items:
        result = await receiver.ingest(signal, protocol, "protobuf", converted.body)
        if result.payload is None:
            raise InvalidRequest(f"nothing was accepted: {result.message}")
    elif converted.rejected:
        raise InvalidRequest(f"nothing was accepted: {converted.problem}")


def authenticate(request: web.Request, receiver: Receiver) -> None:
    """Raise Unauthenticated unless the request carries a configured ingest key (or none are set)."""
    try:
        check_key(
            bearer_or_api_key(request.headers.get("Authorization"), request.headers.get("X-API-Key")),
            receiver.api_keys(),
        )
    except Unauthenticated:
        receiver.metrics.auth_failures.labels("http").inc()
        raise


def plain_error(exc: Exception, what: str) -> web.Response:
    """Answer an ingest error with its status code, Retry-After when retrying helps, and a message."""
    outcome = outcome_for(exc)
    if outcome is None:
        log.exception(f"unexpected error handling a {what} request", exc_info=exc)
        return web.Response(status=500, text="internal error; see the collector's log")
    headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
    return web.Response(status=outcome.http_status, text=str(exc) + "\n", headers=headers)


def receive(receiver: Receiver, signal: Signal, protocol: str, handle: Handler):
    """An aiohttp handler: authenticate, read the body, call `handle`, map errors, count the request."""

    async def handler(request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            authenticate(request, receiver)
            # the body is admitted into the shared budget and read at a minimum rate, as for OTLP
            async with received_body(request, receiver, request.app[LIMITS_KEY], decompress=False) as body:
                response = await handle(request, body)
        except Exception as exc:
            response = plain_error(exc, protocol)
        receiver.observe(signal, protocol, str(response.status), started)
        return response

    return handler
