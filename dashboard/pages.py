"""HTML pages: shells with the layout (nav, time picker) whose scripts draw the /api data."""

from __future__ import annotations

from pathlib import Path

import plotly
from aiohttp import web

from dashboard import params
from dashboard.appstate import render
from dashboard.respond import run
from storage.queries.arrivals import has_telemetry

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
STATIC = Path(__file__).parent / "static"


def _page(template: str, nav: str, **context: object):
    async def handler(request: web.Request) -> web.Response:
        extra = {k: f(request) for k, f in context.items()}
        return render(request, template, nav=nav, timepicker=True, plotly=True, **extra)

    return handler


async def home(request: web.Request) -> web.Response:
    (any_data,) = await run(request, has_telemetry)
    raise web.HTTPFound("/services" if any_data else "/start")


async def plotly_js(request: web.Request) -> web.FileResponse:
    """Serve plotly.js from the installed plotly package (never a CDN)."""
    return web.FileResponse(PLOTLY_JS, headers={"Cache-Control": "public, max-age=86400"})


def _service(request: web.Request) -> str:
    return params.text({"service": request.match_info["service"]}, "service")


def _trace_id(request: web.Request) -> str:
    return params.hex_id(request.match_info["trace_id"], "the trace id", 32)


services = _page("services.html", "/services")
service = _page("service.html", "/services", service=_service)
service_map = _page("map.html", "/map")
traces = _page("traces.html", "/traces")
trace = _page("trace.html", "/traces", trace_id=_trace_id)
logs = _page("logs.html", "/logs")
metrics = _page("metrics.html", "/metrics")
