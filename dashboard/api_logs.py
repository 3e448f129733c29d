"""JSON for the log explorer: lines by cursor, the severity histogram, context and live tail."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from dashboard import params
from dashboard.api_services import _window_json
from dashboard.respond import json_response, run
from storage.queries import logs as ql


def log_query(q) -> ql.LogQuery:
    """Build a LogQuery from the explorer's parameters."""
    levels = []
    for name in params.texts(q, "level", len(ql.LEVELS)):
        if name.upper() not in ql.LEVELS:
            raise params.BadRequest(f"parameter 'level' must be one of {', '.join(ql.LEVELS)}, got {name[:40]!r}")
        levels.append(ql.LEVELS.index(name.upper()))
    return ql.LogQuery(
        services=params.texts(q, "service"),
        levels=tuple(levels),
        text=params.text(q, "q"),
        attrs=params.attr_filters(q),
        trace_id=params.optional_hex(q, "trace_id", 32),
        span_id=params.optional_hex(q, "span_id", 16),
    )


def _with_cursor(lines: list[dict]) -> list[dict]:
    for line in lines:
        # strings: the tie-break is a 64-bit integer that JavaScript numbers cannot hold
        line["cursor"] = f"{line['ts_ns']}:{line.pop('tie')}"
        line["level"] = ql.LEVELS[line["level"]] if line["level"] < len(ql.LEVELS) else "FATAL"
    return lines


async def lines(request: web.Request) -> web.Response:
    w = params.window(request.query)
    lq = log_query(request.query)
    limit = params.integer(request.query, "limit", 100, 1, 1000)
    before = params.cursor(request.query, "cursor")
    (found,) = await run(request, partial(ql.search_logs, w=w, q=lq, limit=limit, before=before))
    found = _with_cursor(found)
    more = found[-1]["cursor"] if len(found) == limit else None
    return json_response({"window": _window_json(w), "lines": found, "next_cursor": more})


async def histogram(request: web.Request) -> web.Response:
    w = params.window(request.query)
    (buckets,) = await run(request, partial(ql.severity_histogram, w=w, q=log_query(request.query)))
    for b in buckets:
        b["level"] = ql.LEVELS[min(b["level"], len(ql.LEVELS) - 1)]
    return json_response({"window": _window_json(w), "buckets": buckets})


async def context(request: web.Request) -> web.Response:
    q = request.query
    at = params.cursor(q, "cursor")
    if at is None:
        raise params.BadRequest("parameter 'cursor' (the line's cursor) is required")
    n = params.integer(q, "n", 20, 1, 200)
    service = params.text(q, "service")
    (found,) = await run(request, partial(ql.log_context, service=service, ts_ns=at[0], tie=at[1], n=n))
    return json_response({"before": _with_cursor(found["before"]), "after": _with_cursor(found["after"])})


async def tail(request: web.Request) -> web.Response:
    w = params.window(request.query, default_from="now-1h")
    after = params.cursor(request.query, "after")
    if after is None:
        raise params.BadRequest("parameter 'after' (the newest line's cursor) is required")
    limit = params.integer(request.query, "limit", 200, 1, 1000)
    lq = log_query(request.query)
    (found,) = await run(request, partial(ql.tail_logs, w=w, q=lq, after=after, limit=limit))
    return json_response({"lines": _with_cursor(found)})


async def services(request: web.Request) -> web.Response:
    w = params.window(request.query)
    (names,) = await run(request, partial(ql.log_services, w=w))
    return json_response({"services": names})
