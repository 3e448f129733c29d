"""JSON for trace search and one trace."""

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


async def trace(request: web.Request) -> web.Response:
    trace_id = params.hex_id(request.match_info["trace_id"], "the trace id", 32)
    (spans,) = await run(request, partial(qt.trace_spans, trace_id=trace_id))
    if not spans:
        raise web.HTTPNotFound(
            text='{"error": "no trace with this id is stored (it may be older than the retention)"}',
            content_type="application/json",
        )
    return json_response({"trace_id": trace_id, **waterfall(spans)})
