"""Trace search (matching spans -> their traces' summaries), one trace's waterfall by id, one span's details."""

from __future__ import annotations

from dataclasses import dataclass, field

from clickhouse_connect.driver import Client

from storage.queries.common import (
    AttrFilter,
    Conditions,
    Window,
    columns,
    newest_first_slices,
    rows,
    time_clause,
)


@dataclass(frozen=True)
class TraceQuery:
    """What a trace search asks for: every field optional; spans must match all given."""

    service: str = ""
    operation: str = ""
    status: str = ""  # Unset | Ok | Error
    min_ns: int = 0
    max_ns: int = 0
    trace_id: str = ""
    attrs: tuple[AttrFilter, ...] = field(default_factory=tuple)
    limit: int = 50


def _span_conditions(q: TraceQuery) -> Conditions:
    c = Conditions()
    if q.service:
        c.add("ServiceName = {service:String}", service=q.service)
    if q.operation:
        c.add("SpanName = {operation:String}", operation=q.operation)
    if q.status:
        c.add("StatusCode = {status:String}", status=q.status)
    if q.min_ns:
        c.add("Duration >= {min_ns:UInt64}", min_ns=q.min_ns)
    if q.max_ns:
        c.add("Duration <= {max_ns:UInt64}", max_ns=q.max_ns)
    if q.trace_id:
        c.add("TraceId = {trace_id:String}", trace_id=q.trace_id)
    c.attrs(q.attrs, ("SpanAttributes", "ResourceAttributes"))
    return c


def matching_trace_ids(client: Client, db: str, w: Window, q: TraceQuery) -> list[str]:
    """Return ids of the newest traces with a span matching the query in the window.

    Read in slices from the window's end: a trace first found in a slice has its newest matching
    span there, so it ranks above every trace found in older slices (seen again there, it is skipped).
    """
    c = _span_conditions(q)
    sql = f"""
        SELECT TraceId FROM {db}.otel_traces
        WHERE {time_clause()} AND TraceId != '' AND {c.sql()}
        GROUP BY TraceId ORDER BY max(Timestamp) DESC LIMIT {{limit:UInt32}}"""
    found: dict[str, None] = {}
    for lo, hi in newest_first_slices(w.start_ns, w.end_ns):
        for r in rows(client, sql, {**c.params, "start": lo, "end": hi, "limit": q.limit}):
            found.setdefault(r["TraceId"])
        if len(found) >= q.limit:
            break
    return list(found)[: q.limit]


_RANGE = """(SELECT (min(Start), max(End) + 1) FROM {db}.otel_traces_trace_id_ts
    WHERE TraceId IN {{ids:Array(String)}})"""


def trace_summaries(client: Client, db: str, trace_ids: list[str]) -> list[dict]:
    """Return start, duration, span and error counts, services and root of each trace, newest first."""
    if not trace_ids:
        return []
    sql = f"""
        WITH {_RANGE.format(db=db)} AS r
        SELECT TraceId AS trace_id, toUnixTimestamp64Nano(min(Timestamp)) AS start_ns,
            max(toUnixTimestamp64Nano(Timestamp) + Duration) - start_ns AS duration_ns,
            count() AS spans, countIf(StatusCode = 'Error') AS errors,
            arraySort(groupUniqArray(ServiceName)) AS services,
            if(countIf(ParentSpanId = '') > 0, anyIf(SpanName, ParentSpanId = ''), argMin(SpanName, Timestamp)) AS root,
            if(countIf(ParentSpanId = '') > 0, anyIf(ServiceName, ParentSpanId = ''), argMin(ServiceName, Timestamp))
                AS root_service
        FROM {db}.otel_traces
        WHERE TraceId IN {{ids:Array(String)}} AND Timestamp >= r.1 AND Timestamp <= r.2
        GROUP BY TraceId ORDER BY start_ns DESC"""
    return rows(client, sql, {"ids": trace_ids})


# one trace: its time range from the trace-id table, then the TraceId bloom filter inside that range
_ONE_TRACE = "TraceId = {id:String} AND Timestamp >= r.1 AND Timestamp <= r.2"
WATERFALL_COLUMNS = {
    "span_id": "SpanId",
    "parent_id": "ParentSpanId",
    "name": "SpanName",
    "kind": "SpanKind",
    "service": "ServiceName",
    "start_ns": "toUnixTimestamp64Nano(Timestamp)",
    "duration_ns": "Duration",
    "status": "StatusCode",
}


def trace_span_columns(client: Client, db: str, trace_id: str) -> dict[str, list]:
    """Return the waterfall's columns of every span of one trace, oldest first (the rest: span_detail).

    Only these eight columns are read: the attribute maps, events and links are most of a span's bytes,
    and a page needs them for one span at a time.
    """
    select = ", ".join(f"{expr} AS {name}" for name, expr in WATERFALL_COLUMNS.items())
    sql = f"""
        WITH {_RANGE.format(db=db)} AS r
        SELECT {select} FROM {db}.otel_traces
        WHERE {_ONE_TRACE}
        ORDER BY Timestamp, SpanId"""
    found = columns(client, sql, {"id": trace_id, "ids": [trace_id]})
    return {name: found.get(name, []) for name in WATERFALL_COLUMNS}  # an empty answer names no columns


def span_detail(client: Client, db: str, trace_id: str, span_id: str) -> dict | None:
    """Return one span's attributes, events, links, resource and scope, or None if it is not stored."""
    sql = f"""
        WITH {_RANGE.format(db=db)} AS r
        SELECT SpanId AS span_id, StatusMessage AS status_message, TraceState AS trace_state,
            SpanAttributes AS attributes, ResourceAttributes AS resource, ScopeName AS scope,
            ScopeVersion AS scope_version,
            arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS event_times,
            Events.Name AS event_names, Events.Attributes AS event_attributes,
            Links.TraceId AS link_trace_ids, Links.SpanId AS link_span_ids, Links.TraceState AS link_trace_states,
            Links.Attributes AS link_attributes
        FROM {db}.otel_traces
        WHERE {_ONE_TRACE} AND SpanId = {{span:String}}
        LIMIT 1"""
    found = rows(client, sql, {"id": trace_id, "ids": [trace_id], "span": span_id})
    return found[0] if found else None


def find_in_trace(client: Client, db: str, trace_id: str, text: str) -> list[str]:
    """Return the ids of a trace's spans whose name, service or an attribute value holds `text` (any case)."""
    sql = f"""
        WITH {_RANGE.format(db=db)} AS r
        SELECT SpanId FROM {db}.otel_traces
        WHERE {_ONE_TRACE} AND (positionCaseInsensitiveUTF8(SpanName, {{text:String}}) > 0
            OR positionCaseInsensitiveUTF8(ServiceName, {{text:String}}) > 0
            OR arrayExists(v -> positionCaseInsensitiveUTF8(v, {{text:String}}) > 0, mapValues(SpanAttributes)))"""
    return [r["SpanId"] for r in rows(client, sql, {"id": trace_id, "ids": [trace_id], "text": text})]


def span_operations(client: Client, db: str, w: Window, service: str) -> list[str]:
    """Return the span names a service used in the window (the search form's choices)."""
    sql = f"""SELECT DISTINCT SpanName FROM {db}.otel_traces
        WHERE {time_clause()} AND ServiceName = {{service:String}} ORDER BY SpanName LIMIT 1000"""
    return [r["SpanName"] for r in rows(client, sql, {**w.params, "service": service})]
