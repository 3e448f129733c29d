"""JSON for trace search, one trace's waterfall, one span's details and search within a trace."""

from __future__ import annotations

import asyncio
from functools import partial

from aiohttp import web

from dashboard import params
from dashboard.api_services import _window_json
from dashboard.respond import json_response, run
from dashboard.tracetree import waterfall
from storage.queries import traces as qt

STATUSES = ("Unset", "Ok", "Error")
MS = 1_000_000


def trace_query(q) -> qt.TraceQuery:
    """Build a TraceQuery from the search form's parameters."""
    min_ms = params.integer(q, "min_ms", 0, 0, 10**9)
    max_ms = params.integer(q, "max_ms", 0, 0, 10**9)
    if min_ms and max_ms and max_ms < min_ms:
        raise params.BadRequest("parameter 'max_ms' must not be below 'min_ms'")
    return qt.TraceQuery(
        service=params.text(q, "service"),
        operation=params.text(q, "operation"),
        status=params.choice(q, "status", STATUSES),
        min_ns=min_ms * MS,
        max_ns=max_ms * MS,
        trace_id=params.optional_hex(q, "trace_id", 32),
        attrs=params.attr_filters(q),
        limit=params.integer(q, "limit", 50, 1, 500),
    )


async def search(request: web.Request) -> web.Response:
    w = params.window(request.query)
    tq = trace_query(request.query)

    async def summaries() -> list[dict]:
        (ids,) = await run(request, partial(qt.matching_trace_ids, w=w, q=tq))
        (found,) = await run(request, partial(qt.trace_summaries, trace_ids=ids))
        return found

    # the search form's operations do not wait for the search
    choices = [partial(qt.span_operations, w=w, service=tq.service)] if tq.service else []
    found, operations = await asyncio.gather(summaries(), run(request, *choices))
    return json_response({"window": _window_json(w), "traces": found, "operations": operations[0] if choices else []})


def _trace_id(request: web.Request) -> str:
    return params.hex_id(request.match_info["trace_id"], "the trace id", 32)


def _not_found(what: str) -> params.NotFound:
    return params.NotFound(f"no {what} with this id is stored (it may be older than the retention)")


async def trace(request: web.Request) -> web.Response:
    """Answer the waterfall: one array per field, a span being an index, in tree order."""
    trace_id = _trace_id(request)
    (cols,) = await run(request, partial(qt.trace_span_columns, trace_id=trace_id))
    if not cols["span_id"]:
        raise _not_found("trace")
    return json_response({"trace_id": trace_id, **waterfall(cols)})


def span_json(row: dict) -> dict:
    """Shape one span's details: events and links as lists of objects."""
    events = zip(row.pop("event_times"), row.pop("event_names"), row.pop("event_attributes"), strict=True)
    links = zip(
        row.pop("link_trace_ids"),
        row.pop("link_span_ids"),
        row.pop("link_trace_states"),
        row.pop("link_attributes"),
        strict=True,
    )
    return {
        **row,
        "events": [{"time_ns": t, "name": n, "attributes": a} for t, n, a in events],
        "links": [{"trace_id": t, "span_id": s, "trace_state": ts, "attributes": a} for t, s, ts, a in links],
    }


async def span(request: web.Request) -> web.Response:
    """Answer one span's attributes, events, links, resource and scope (the waterfall leaves them out)."""
    trace_id = _trace_id(request)
    span_id = params.hex_id(request.match_info["span_id"], "the span id", 16)
    (row,) = await run(request, partial(qt.span_detail, trace_id=trace_id, span_id=span_id))
    if row is None:
        raise _not_found("span")
    return json_response({"trace_id": trace_id, **span_json(row)})


async def find(request: web.Request) -> web.Response:
    """Answer the ids of the trace's spans whose name, service or an attribute value holds `q`."""
    trace_id = _trace_id(request)
    text = params.text(request.query, "q").strip()
    if not text:
        return json_response({"span_ids": []})
    (ids,) = await run(request, partial(qt.find_in_trace, trace_id=trace_id, text=text))
    return json_response({"span_ids": ids})
