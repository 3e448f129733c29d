"""Typed app state shared by the dashboard's handlers, and template rendering."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from otelhouse.config import Settings
from otelhouse.stakeholders import Stakeholders

TEMPLATES = Path(__file__).parent / "templates"
SETTINGS_KEY = web.AppKey("settings", Settings)
JINJA_KEY = web.AppKey("jinja", jinja2.Environment)
STAKEHOLDERS_KEY = web.AppKey("stakeholders", Stakeholders)


def render(request: web.Request, template: str, **context: object) -> web.Response:
    """Render an autoescaped template to an HTML response."""
    from dashboard.auth.identity import template_context  # the auth package renders through here too

    html = request.app[JINJA_KEY].get_template(template).render(account=template_context(request), **context)
    return web.Response(text=html, content_type="text/html")
