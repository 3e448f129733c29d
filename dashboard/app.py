"""The dashboard app: a route table, typed app state, thin handlers over named queries."""

from __future__ import annotations

import jinja2
from aiohttp import web

from dashboard import start
from dashboard.appstate import JINJA_KEY, SETTINGS_KEY, TEMPLATES
from otelhouse.config import Settings
from otelhouse.health import add_health_routes
from storage import Store


async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/start")


def create_app(settings: Settings, store: Store) -> web.Application:
    """Build the dashboard application on a store."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[JINJA_KEY] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(default=True)
    )
    add_health_routes(app, store)
    app.router.add_get("/", home)
    app.router.add_get("/start", start.page)
    app.router.add_get("/api/start", start.data)
    return app
