"""The start page: where to send telemetry, and what has arrived in the last hour."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from dashboard.appstate import SETTINGS_KEY, render
from otelhouse.health import STORE_KEY
from storage import StoreError
from storage.queries.arrivals import arrivals_since

WINDOW_MINUTES = 60


async def _context(request: web.Request) -> dict:
    settings = request.app[SETTINGS_KEY]
    store = request.app[STORE_KEY]
    host = request.url.host or "localhost"
    c = settings.collector
    error = ""
    try:
        arrivals = await store.acall(lambda client: arrivals_since(client, store.database, WINDOW_MINUTES))
    except StoreError as exc:
        arrivals, error = [], str(exc)
    return {
        "http_endpoint": f"http://{host}:{c.http_port}",
        "grpc_endpoint": f"http://{host}:{c.grpc_port}",
        "http_enabled": c.http_enabled,
        "grpc_enabled": c.grpc_enabled,
        "auth": bool(c.api_keys),
        "window_minutes": WINDOW_MINUTES,
        "arrivals": arrivals,
        "error": error,
    }


async def page(request: web.Request) -> web.Response:
    return render(request, "start.html", **await _context(request))


async def data(request: web.Request) -> web.Response:
    ctx = await _context(request)
    ctx["arrivals"] = [{**asdict(a), "last_seen": a.last_seen.isoformat()} for a in ctx["arrivals"]]
    return web.json_response(ctx)
