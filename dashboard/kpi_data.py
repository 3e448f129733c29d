"""A KPI panel's figures for a time window: its queries (run concurrently) and the pure arithmetic on them."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from dashboard import kpi_values
from dashboard.params import MAX_POINTS, BadRequest
from dashboard.respond import run
from otelhouse.stakeholders import Panel
from otelhouse.stakeholders.model import KINDS, PERIODS, Labels
from storage.queries.common import NS, AttrFilter, Window
from storage.queries.kpi import KpiQuery, TooManyRows, kpi_points


def window_json(w: Window) -> dict:
    return {"start_ns": w.start_ns, "end_ns": w.end_ns, "step_s": w.step_s}


def panel_window(panel: Panel, w: Window) -> Window:
    """Return the window with the panel's period as its step, unless that draws too many points."""
    period = PERIODS[panel.period]
    if period and (w.end_ns - w.start_ns) / NS / period <= MAX_POINTS:
        return Window(w.start_ns, w.end_ns, period)
    return w


def _query(metric: str, kind: str, filters: Labels, group_by: tuple[str, ...] = ()) -> KpiQuery:
    return KpiQuery(metric, KINDS[kind], tuple(AttrFilter(k, "=", v) for k, v in filters), group_by)


async def panel_data(request: web.Request, panel: Panel, w: Window) -> dict:
    """Return the panel's figures over w (and the period before it where the panel compares)."""
    try:
        return await _figures(request, panel, w)
    except TooManyRows as exc:
        raise BadRequest(f"panel {panel.id!r}: {exc}") from None


async def _figures(request: web.Request, panel: Panel, w: Window) -> dict:
    seconds = (w.end_ns - w.start_ns) / NS
    pw = panel_window(panel, w)
    if panel.type == "funnel":
        steps = [partial(kpi_points, w=pw, q=_query(s.metric, "counter", s.filters)) for s in panel.steps]
        totals = [kpi_values.total(pts, panel, seconds) for pts in await run(request, *steps)]
        return {"steps": kpi_values.funnel(totals, panel)}
    q = _query(panel.metric, panel.kind, panel.filters, panel.group_by)
    if panel.type == "timeseries" or (panel.type == "bar" and not panel.group_by):
        (points,) = await run(request, partial(kpi_points, w=pw, q=q))
        all_steps = kpi_values.steps(w.start_ns / NS, w.end_ns / NS, pw.step_s)
        return {"series": kpi_values.series(points, panel, all_steps)}
    current, previous = await run(request, partial(kpi_points, w=pw, q=q), partial(kpi_points, w=pw.previous(), q=q))
    if panel.type == "tile":
        return kpi_values.tile(current, previous, panel, seconds)
    return {"rows": kpi_values.breakdown(current, previous, panel, seconds)}


def panel_json(panel: Panel, w: Window, data: dict) -> dict:
    """Return a panel's description, windows, figures and the same figures as a table."""
    columns, rows = kpi_values.table(panel, data, w.start_ns / NS, w.end_ns / NS)
    return {
        "id": panel.id,
        "type": panel.type,
        "title": panel.title,
        "metric": panel.metric,
        "aggregation": panel.aggregation,
        "group_by": list(panel.group_by),
        "unit": panel.unit,
        "format": panel.format,
        "decimals": panel.decimals,
        "higher_is": panel.higher_is,
        "window": window_json(panel_window(panel, w)),
        "previous_window": window_json(w.previous()),
        "data": data,
        "table": {"columns": columns, "rows": rows},
    }
