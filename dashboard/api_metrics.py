"""JSON for the metrics explorer: the catalogue, and one metric's series with exemplars."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from aiohttp import web

from dashboard import metricmath, params
from dashboard.api_services import _window_json
from dashboard.appstate import STAKEHOLDERS_KEY
from dashboard.respond import json_response, run
from otelhouse.stakeholders import classify
from storage.queries import kpi as qk
from storage.queries import metrics as qm

COUNTER_AGGS = ("rate", "increase")
QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}
HIST_AGGS = ("p50", "p90", "p99")


async def catalog(request: web.Request) -> web.Response:
    w = params.window(request.query)
    search = params.text(request.query, "search", "", 256)
    rules = request.app[STAKEHOLDERS_KEY].classification
    queries = [partial(qm.metric_catalog, w=w, search=search)]
    if rules.attribute:
        queries.append(partial(qk.metrics_with_attribute, w=w, key=rules.attribute[0], value=rules.attribute[1]))
    found, *marked = await run(request, *queries)
    tagged = set(marked[0]) if marked else set()
    for m in found:
        m["class"] = classify(rules, m["name"], m["name"] in tagged)
    return json_response({"window": _window_json(w), "metrics": found})


def _series(points: list[dict], field: str = "value") -> list[dict]:
    by_group: dict[tuple, list] = defaultdict(list)
    for p in points:
        by_group[tuple(p["g"])].append({"t": p["t"], "value": p[field]})
    return [{"group": list(g), "points": pts} for g, pts in by_group.items()]


def _quantile_series(dists: dict[tuple, dict], q: float) -> list[dict]:
    by_group: dict[tuple, list] = defaultdict(list)
    for (g, t), dist in sorted(dists.items(), key=lambda kv: kv[0][1]):
        by_group[g].append({"t": t, "value": metricmath.quantile(dist, q)})
    return [{"group": list(g), "points": pts} for g, pts in by_group.items()]


async def series(request: web.Request) -> web.Response:
    q = request.query
    w = params.window(q)
    kind = params.choice(q, "kind", qm.KINDS, "gauge") or "gauge"
    name = params.text(q, "name", "", 256)
    if not name:
        raise params.BadRequest("parameter 'name' (the metric) is required")
    hist = kind in ("histogram", "exponential_histogram")
    allowed = HIST_AGGS if hist else (*qm.AGGREGATES, *COUNTER_AGGS) if kind == "sum" else tuple(qm.AGGREGATES)
    agg = params.choice(q, "agg", allowed, allowed[0]) or allowed[0]
    mq = qm.MetricQuery(name, kind, params.attr_filters(q), params.texts(q, "group", 10))
    if hist:
        points, ex = await run(request, partial(qm.histogram_points, w=w, q=mq), partial(qm.exemplars, w=w, q=mq))
        fetch_start = w.start_ns - w.step_s * 10**9
        dists = metricmath.step_increases(kind, points, w.start_ns, fetch_start)
        out = _quantile_series(dists, QUANTILES[agg])
    elif agg in COUNTER_AGGS:
        points, ex = await run(request, partial(qm.counter_increase, w=w, q=mq), partial(qm.exemplars, w=w, q=mq))
        out = _series(points, "rate" if agg == "rate" else "value")
    else:
        points, ex = await run(request, partial(qm.value_series, w=w, q=mq, agg=agg), partial(qm.exemplars, w=w, q=mq))
        out = _series(points)
    return json_response(
        {"window": _window_json(w), "name": name, "kind": kind, "agg": agg, "series": out, "exemplars": ex}
    )
