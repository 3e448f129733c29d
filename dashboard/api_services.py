"""JSON for the services list, one service's page and the service map."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from aiohttp import web

from dashboard import params
from dashboard.respond import json_response, run
from storage.queries import edges as qe
from storage.queries import services as qs


def _window_json(w) -> dict:
    return {"start_ns": w.start_ns, "end_ns": w.end_ns, "step_s": w.step_s}


def _spark_by_name(points: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for p in points:
        out[p.pop("name")].append(p)
    return out


def service_name(request: web.Request) -> str:
    """Return the {service} path part, bounded."""
    return params.text({"service": request.match_info["service"]}, "service")


async def services(request: web.Request) -> web.Response:
    w = params.window(request.query)
    red, spark = await run(request, partial(qs.service_red, w=w), partial(qs.service_counts, w=w))
    by_name = _spark_by_name(spark)
    for s in red:
        s["spark"] = by_name.get(s["name"], [])
    return json_response({"window": _window_json(w), "services": red})


async def service(request: web.Request) -> web.Response:
    w = params.window(request.query)
    name = service_name(request)
    ops, spark, heat, errs, slow, edges = await run(
        request,
        partial(qs.operation_red, w=w, service=name),
        partial(qs.service_sparklines, w=w, service=name),
        partial(qs.latency_heatmap, w=w, service=name),
        partial(qs.recent_errors, w=w, service=name),
        partial(qs.slowest_spans, w=w, service=name),
        partial(qe.service_edges, w=w, service=name),
    )
    return json_response(
        {
            "window": _window_json(w),
            "service": name,
            "operations": ops,
            "over_time": spark,
            "heatmap": heat,
            "errors": errs,
            "slowest": slow,
            "callers": [e for e in edges if e["callee"] == name],
            "callees": [e for e in edges if e["caller"] == name],
        }
    )


async def names(request: web.Request) -> web.Response:
    w = params.window(request.query)
    (found,) = await run(request, partial(qs.service_names, w=w))
    return json_response({"services": found})


async def service_map(request: web.Request) -> web.Response:
    w = params.window(request.query)
    red, edges = await run(request, partial(qs.service_red, w=w), partial(qe.service_edges, w=w))
    nodes = {s["name"]: s for s in red}
    for e in edges:  # a service seen only as a caller (no server spans) is still a node
        for n in (e["caller"], e["callee"]):
            nodes.setdefault(n, {"name": n, "calls": 0, "rate": 0.0, "error_rate": 0.0})
    return json_response({"window": _window_json(w), "nodes": list(nodes.values()), "edges": edges})
