"""KPI pages' data: every panel of a page as JSON, one panel as JSON or CSV (for spreadsheets and BI tools)."""

from __future__ import annotations

import asyncio
import csv
import io

from aiohttp import web

from dashboard import params
from dashboard.appstate import STAKEHOLDERS_KEY
from dashboard.kpi_data import panel_data, panel_json, window_json
from dashboard.respond import json_response
from otelhouse.stakeholders import Page, Panel, Stakeholder

FORMATS = ("csv", "json")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def find_page(request: web.Request) -> tuple[Stakeholder, Page]:
    """Return the stakeholder and page the path names, or raise NotFound."""
    book = request.app[STAKEHOLDERS_KEY]
    name, page_id = request.match_info["stakeholder"], request.match_info["page"]
    stakeholder = book.stakeholder(name)
    if stakeholder is None:
        raise params.NotFound(f"no stakeholder named {name[:40]!r}")
    page = stakeholder.page(page_id)
    if page is None:
        raise params.NotFound(f"stakeholder {name!r} has no page {page_id[:40]!r}")
    return stakeholder, page


def _panel(page: Page, name: str) -> tuple[Panel, str]:
    panel_id, _, ext = name.rpartition(".")
    panel = page.panel(panel_id)
    if panel is None or ext not in FORMATS:
        raise params.NotFound(f"page {page.id!r} has no panel file {name[:60]!r} (panel id + .csv or .json)")
    if not panel.has_data:
        raise params.NotFound(f"panel {panel.id!r} is a note; it has no figures")
    return panel, ext


def _cell(value: object) -> object:
    """Keep a spreadsheet from reading a text cell (a label value from telemetry) as a formula."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def csv_response(filename: str, columns: list[str], rows: list[list]) -> web.Response:
    """Answer CSV as UTF-8 with a byte-order mark (so Excel reads it as UTF-8) as a download."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in columns])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def index(request: web.Request) -> web.Response:
    book = request.app[STAKEHOLDERS_KEY]
    return json_response(
        {
            "stakeholders": [
                {
                    "id": s.id,
                    "title": s.title,
                    "description": s.description,
                    "pages": [{"id": p.id, "title": p.title, "path": f"/kpi/{s.id}/{p.id}"} for p in s.pages],
                }
                for s in book.stakeholders
            ]
        }
    )


async def page(request: web.Request) -> web.Response:
    stakeholder, kpi_page = find_page(request)
    w = params.window(request.query, default_from=kpi_page.default_range)
    panels = [p for p in kpi_page.panels if p.has_data]
    figures = await asyncio.gather(*(panel_data(request, p, w) for p in panels))
    return json_response(
        {
            "stakeholder": stakeholder.id,
            "page": kpi_page.id,
            "window": window_json(w),
            "previous_window": window_json(w.previous()),
            "panels": [panel_json(p, w, d) for p, d in zip(panels, figures, strict=True)],
        }
    )


async def panel(request: web.Request) -> web.Response:
    stakeholder, kpi_page = find_page(request)
    one, ext = _panel(kpi_page, request.match_info["file"])
    w = params.window(request.query, default_from=kpi_page.default_range)
    body = panel_json(one, w, await panel_data(request, one, w))
    if ext == "json":
        return json_response(body)
    filename = f"{stakeholder.id}-{kpi_page.id}-{one.id}.csv"
    return csv_response(filename, body["table"]["columns"], body["table"]["rows"])
