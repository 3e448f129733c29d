"""The dashboard app: a route table, typed app state, thin handlers over named queries."""

from __future__ import annotations

import jinja2
from aiohttp import web

from dashboard import api_kpi, api_logs, api_metrics, api_services, api_traces, kpi_pages, pages, start
from dashboard.appstate import JINJA_KEY, SETTINGS_KEY, STAKEHOLDERS_KEY, TEMPLATES
from dashboard.auth import views as auth_views
from dashboard.auth.middleware import add_security_headers, authorize
from dashboard.auth.state import AUTH_KEY, AuthState, build_auth
from dashboard.kpi_checks import warn_unknown_metrics
from dashboard.respond import errors
from otelhouse.config import Settings
from otelhouse.health import add_health_routes
from otelhouse.secrets import Lookup
from otelhouse.stakeholders import Stakeholders, load_stakeholders
from storage import Store

ROUTES = [
    web.get("/", pages.home),
    web.get("/start", start.page),
    web.get("/services", pages.services),
    web.get("/services/{service}", pages.service),
    web.get("/map", pages.service_map),
    web.get("/traces", pages.traces),
    web.get("/traces/{trace_id}", pages.trace),
    web.get("/logs", pages.logs),
    web.get("/metrics", pages.metrics),
    web.get("/kpi", kpi_pages.index),
    web.get("/kpi/{stakeholder}", kpi_pages.stakeholder_home),
    web.get("/kpi/{stakeholder}/{page}", kpi_pages.page),
    web.get("/static/plotly.min.js", pages.plotly_js),
    web.get("/api/start", start.data),
    web.get("/api/services", api_services.services),
    web.get("/api/services/{service}", api_services.service),
    web.get("/api/map", api_services.service_map),
    web.get("/api/service-names", api_services.names),
    web.get("/api/traces", api_traces.search),
    web.get("/api/traces/{trace_id}", api_traces.trace),
    web.get("/api/traces/{trace_id}/find", api_traces.find),
    web.get("/api/traces/{trace_id}/spans/{span_id}", api_traces.span),
    web.get("/api/logs", api_logs.lines),
    web.get("/api/logs/histogram", api_logs.histogram),
    web.get("/api/logs/context", api_logs.context),
    web.get("/api/logs/tail", api_logs.tail),
    web.get("/api/logs/services", api_logs.services),
    web.get("/api/metrics", api_metrics.catalog),
    web.get("/api/metrics/series", api_metrics.series),
    web.get("/api/kpi", api_kpi.index),
    web.get("/api/kpi/{stakeholder}/{page}", api_kpi.page),
    web.get("/api/kpi/{stakeholder}/{page}/{file}", api_kpi.panel),
    web.static("/static", pages.STATIC),
]


def create_app(
    settings: Settings,
    store: Store,
    stakeholders: Stakeholders | None = None,
    auth: AuthState | None = None,
    secrets: Lookup | None = None,
) -> web.Application:
    """Build the dashboard on a store; every request passes the authorization middleware.

    `secrets` gives the session keys current at each request (they rotate); without it, the loaded ones.

    An invalid stakeholders file raises StakeholdersError.
    """
    app = web.Application(middlewares=[authorize, errors])
    app[SETTINGS_KEY] = settings
    book = stakeholders or load_stakeholders(settings.dashboard.stakeholders_file)
    app[STAKEHOLDERS_KEY] = book
    app[AUTH_KEY] = auth or build_auth(settings, lambda: book.names, current=secrets)
    app.on_response_prepare.append(add_security_headers)
    app[JINJA_KEY] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(default=True)
    )
    add_health_routes(app, store)
    app.router.add_routes(auth_views.ROUTES)
    app.router.add_routes(ROUTES)
    app.cleanup_ctx.append(warn_unknown_metrics)
    return app
