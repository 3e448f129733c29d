"""HTTP receivers for logs that are not OTLP: `POST /v1/logs/json` (JSON lines) and Loki's push API.

Transport only: ingest key, body limits and decompression, status codes. The pure conversions
(collector/jsonlines, collector/loki) turn a request into an OTLP ExportLogsServiceRequest built to
the OTLP limits, which the shared Receiver submits as it does remote_write's (no second parse): the
write-ahead log, batching, deduplication and the native ClickHouse decode apply unchanged, and so
does the promise (a 2xx means the stored lines are in the write-ahead log).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote

from aiohttp import web
from multidict import CIMultiDict
from prometheus_client import Counter

from collector.errors import Unauthenticated, outcome_for
from collector.jsonlines.convert import Context, LineLimits, convert
from collector.log_mapping import LogMapper
from collector.logwire import Attribute
from collector.loki.convert import convert_push
from collector.loki.push import decode_push
from collector.otlp.model import InvalidRequest, Signal
from collector.otlp_http import LIMITS_KEY, received_body
from collector.receiver import Receiver
from collector.transport import bearer_or_api_key, check_key

log = logging.getLogger(__name__)
JSON_LINES_PATH = "/v1/logs/json"
LOKI_PATHS = ("/loki/api/v1/push", "/api/prom/push")  # the second: Loki's pre-2.0 path, still used by old clients


@dataclass(frozen=True)
class LogRoutes:
    receiver: Receiver
    limits: LineLimits
    max_decompressed: int
    lines: Counter  # otelhouse_collector_log_lines_total{format, outcome}
    mapper: LogMapper  # maps large bodies off the event loop (collector.log_mapping_processes)


ROUTES_KEY = web.AppKey("log_routes", LogRoutes)


def presented_key(headers: CIMultiDict[str]) -> str | None:
    """The ingest key of a request: Bearer, X-API-Key, or the password of Basic auth (Loki clients send that)."""
    authorization = headers.get("Authorization")
    key = bearer_or_api_key(authorization, headers.get("X-API-Key"))
    if key is None and authorization and authorization[:6].lower() == "basic ":
        try:
            key = base64.b64decode(authorization[6:].strip(), validate=True).decode().partition(":")[2] or None
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("the Authorization: Basic header is not base64 of user:key") from None
    return key


def resource_header(value: str | None) -> tuple[Attribute, ...]:
    """Parse X-Resource-Attributes, `k=v,k=v` with percent-encoded values (OTEL_RESOURCE_ATTRIBUTES syntax)."""
    if not value or not value.strip():
        return ()
    pairs = []
    for i, item in enumerate(value.split(","), 1):
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InvalidRequest(f"X-Resource-Attributes: item {i} ({item.strip()[:60]!r}) is not key=value")
        pairs.append((key.strip(), unquote(text.strip())))
    return tuple(pairs)


def _authorize(request: web.Request, receiver: Receiver) -> None:
    try:
        check_key(presented_key(request.headers), receiver.api_keys())
    except Unauthenticated:
        receiver.metrics.auth_failures.labels("http").inc()
        raise


def _error(exc: Exception, as_json: bool) -> web.Response:
    """Answer an ingest error with its status: JSON {"error": ...} for JSON lines, text for Loki (as Loki does)."""
    outcome = outcome_for(exc)
    if outcome is None:
        log.exception("unexpected error handling a logs request", exc_info=exc)
        return web.Response(status=500, text="internal error; see the collector's log")
    headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
    if as_json:
        return web.json_response({"error": str(exc)}, status=outcome.http_status, headers=headers)
    return web.Response(status=outcome.http_status, text=str(exc) + "\n", headers=headers)


Handler = Callable[[web.Request, LogRoutes], Awaitable[web.Response]]


def _route(protocol: str, as_json: bool, handle: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a handler with what both routes do: the ingest key, the error answers, the request metrics."""

    async def route(request: web.Request) -> web.Response:
        routes = request.app[ROUTES_KEY]
        started = time.perf_counter()
        try:
            _authorize(request, routes.receiver)
            response = await handle(request, routes)
        except Exception as exc:
            response = _error(exc, as_json)
        routes.receiver.observe(Signal.LOGS, protocol, str(response.status), started)
        return response

    return route


async def _json_lines(request: web.Request, routes: LogRoutes) -> web.Response:
    """Store JSON log lines; answer 200 with how many were mapped, stored raw or rejected (and which)."""
    service = request.headers.get("X-Service-Name") or request.query.get("service") or None
    ctx = Context(service, resource_header(request.headers.get("X-Resource-Attributes")), time.time_ns())
    async with received_body(request, routes.receiver, request.app[LIMITS_KEY]) as body:
        otlp, report = await routes.mapper.run(len(body), convert, body, ctx, routes.limits)
        if otlp:  # built to the OTLP limits (collector/logwire.py), so it skips the OTLP decode
            stored = report.mapped + report.raw
            await routes.receiver.submit(Signal.LOGS, "jsonlines", otlp, stored, report.truncated, report.repaired)
    for outcome in ("mapped", "raw", "rejected"):
        routes.lines.labels("jsonlines", outcome).inc(getattr(report, outcome))
    return web.json_response(report.as_dict())


def decode_and_convert(body: bytes, is_json: bool, max_decompressed: int, limits: LineLimits, arrival_ns: int):
    """Decode a Loki push body and map its entries (module level: it runs in the mapping workers)."""
    return convert_push(decode_push(body, is_json, max_decompressed), limits, arrival_ns)


async def _loki_push(request: web.Request, routes: LogRoutes) -> web.Response:
    """Store a Loki push request: 204 when every entry is stored, 400 naming the first entry that was not."""
    is_json = request.content_type.lower() == "application/json"
    if request.headers.get("Content-Encoding", "").strip().lower() == "snappy" and not is_json:
        # Loki reads protobuf as snappy whatever this says; some clients say it
        headers = request.headers.copy()
        del headers["Content-Encoding"]
        request = request.clone(headers=headers)
    async with received_body(request, routes.receiver, request.app[LIMITS_KEY]) as body:
        args = (body, is_json, routes.max_decompressed, routes.limits, time.time_ns())
        otlp, report = await routes.mapper.run(len(body), decode_and_convert, *args)
        if otlp:
            stored = report.entries - report.rejected
            await routes.receiver.submit(Signal.LOGS, "loki", otlp, stored, report.truncated, report.repaired)
    routes.lines.labels("loki", "mapped").inc(report.mapped)
    routes.lines.labels("loki", "raw").inc(report.entries - report.rejected - report.mapped)
    routes.lines.labels("loki", "rejected").inc(report.rejected)
    if report.rejected:
        return web.Response(status=400, text=report.message() + "\n")
    return web.Response(status=204)


post_json_lines = _route("jsonlines", True, _json_lines)
post_loki_push = _route("loki", False, _loki_push)


def add_log_routes(
    app: web.Application, receiver: Receiver, limits: LineLimits, max_decompressed: int, processes: int = 0
) -> None:
    """Register the JSON-lines and Loki push routes, with their line counter on the collector's registry.

    `processes` map large bodies (collector.log_mapping_processes; 0: a thread); they stop with the app.
    """
    lines = Counter(
        "otelhouse_collector_log_lines",
        "JSON-lines and Loki lines received: mapped by their logger's dialect, stored raw, or rejected",
        ["format", "outcome"],
        registry=receiver.metrics.registry,
    )
    mapper = LogMapper(processes, receiver.retry_after_s)
    app[ROUTES_KEY] = LogRoutes(receiver, limits, max_decompressed, lines, mapper)

    async def stop_mapper(_: web.Application) -> None:
        await asyncio.to_thread(mapper.close)

    app.on_cleanup.append(stop_mapper)
    app.router.add_post(JSON_LINES_PATH, post_json_lines)
    for path in LOKI_PATHS:
        app.router.add_post(path, post_loki_push)
