"""KPI pages as HTML: the index of stakeholders and pages, and a page's panels (its script draws the figures)."""

from __future__ import annotations

from aiohttp import web

from dashboard import params
from dashboard.api_kpi import find_page
from dashboard.appstate import STAKEHOLDERS_KEY, render
from dashboard.notes import render_note

# the engineers' picker plus ranges a business reader looks at
RANGES = (
    ("now-1h", "Last hour"),
    ("now-24h", "Last 24 hours"),
    ("now-7d", "Last 7 days"),
    ("now-30d", "Last 30 days"),
    ("now-90d", "Last 90 days"),
    ("custom", "Custom…"),
)


async def index(request: web.Request) -> web.Response:
    return render(request, "kpi_index.html", nav="/kpi", stakeholders=request.app[STAKEHOLDERS_KEY].stakeholders)


async def stakeholder_home(request: web.Request) -> web.Response:
    """Send `/kpi/{stakeholder}` (where a stakeholder lands after signing in) to their first page."""
    name = request.match_info["stakeholder"]
    stakeholder = request.app[STAKEHOLDERS_KEY].stakeholder(name)
    if stakeholder is None or not stakeholder.pages:
        raise params.NotFound(f"no stakeholder named {name[:40]!r} with pages")
    raise web.HTTPFound(f"/kpi/{stakeholder.id}/{stakeholder.pages[0].id}")


async def page(request: web.Request) -> web.Response:
    stakeholder, kpi_page = find_page(request)
    notes = {p.id: render_note(p.text) for p in kpi_page.panels if p.type == "note"}
    return render(
        request,
        "kpi.html",
        nav="/kpi",
        timepicker=True,
        plotly=True,
        ranges=RANGES,
        default_from=kpi_page.default_range,
        stakeholder=stakeholder,
        kpi_page=kpi_page,
        notes=notes,
    )
