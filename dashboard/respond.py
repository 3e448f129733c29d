"""Answers shared by handlers: JSON without NaN, concurrent queries, errors as 400/503 pages or JSON."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from clickhouse_connect.driver import Client

from dashboard.appstate import render
from dashboard.params import BadRequest, NotFound
from otelhouse.health import STORE_KEY
from storage import StoreError

log = logging.getLogger(__name__)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def json_response(data: Any) -> web.Response:
    """Answer JSON in which NaN and infinities are null (the JSON standard has neither).

    orjson writes them as null itself and is several times faster than json on a 10,000-span trace;
    what it cannot write (an integer past 64 bits) goes through json with the data walked.
    """
    try:
        body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        body = json.dumps(_clean(data), separators=(",", ":")).encode()
    return web.Response(body=body, content_type="application/json")


async def run(request: web.Request, *queries: Callable[[Client, str], Any]) -> list[Any]:
    """Run a page's queries concurrently, each in a worker thread with its own client."""
    store = request.app[STORE_KEY]
    return list(await asyncio.gather(*(store.acall(lambda c, q=q: q(c, store.database)) for q in queries)))


@web.middleware
async def errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """Turn bad parameters into 400, unknown names into 404 and storage trouble into 503, as JSON under /api,
    else as a page."""
    try:
        return await handler(request)
    except BadRequest as exc:
        status, message = 400, str(exc)
    except NotFound as exc:
        status, message = 404, str(exc)
    except StoreError as exc:
        log.warning("dashboard query failed", extra={"path": request.path, "error": str(exc)})
        status, message = 503, f"storage cannot answer right now: {exc}"
    if request.path.startswith("/api/"):
        return web.json_response({"error": message}, status=status)
    response = render(request, "error.html", status=status, message=message)
    response.set_status(status)
    return response
