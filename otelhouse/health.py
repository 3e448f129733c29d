"""/healthz (process up) and /readyz (store reachable, schema current), shared by every HTTP app."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from storage import Store, StoreError

STORE_KEY = web.AppKey("store", Store)
# Extra readiness checks an app adds (e.g. the collector's write backlog); each returns a problem or ''.
READY_CHECKS_KEY = web.AppKey("ready_checks", list[Callable[[], Awaitable[str]]])
# Extra facts /readyz reports either way (e.g. the write-ahead log's backlog).
READY_INFO_KEY = web.AppKey("ready_info", list[Callable[[], dict]])


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    problems: list[str] = []
    try:
        pending = await asyncio.to_thread(store.pending)
        if pending:
            problems.append(f"schema not current: pending migrations {', '.join(pending)} (run otelhouse migrate)")
    except StoreError as exc:
        problems.append(str(exc))
    for check in request.app.get(READY_CHECKS_KEY, []):
        problem = await check()
        if problem:
            problems.append(problem)
    info: dict = {"store": store.target.describe()}
    for facts in request.app.get(READY_INFO_KEY, []):
        info.update(facts())
    if problems:
        return web.json_response({"status": "unavailable", "problems": problems, **info}, status=503)
    return web.json_response({"status": "ready", **info})


def add_health_routes(app: web.Application, store: Store) -> None:
    """Register /healthz and /readyz on an app that holds the store."""
    app[STORE_KEY] = store
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
