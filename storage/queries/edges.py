"""The service map: calls between services, from client/producer spans and their server/consumer children."""

from __future__ import annotations

from clickhouse_connect.driver import Client

from storage.queries.common import CALL_KINDS, ENTRY_KINDS, Window, rows, time_clause

_CALLS = "SpanKind IN ('" + "','".join(CALL_KINDS) + "')"
_ENTRY = "SpanKind IN ('" + "','".join(ENTRY_KINDS) + "')"
_ONE = "ServiceName = {service:String}"


def _edges_sql(db: str, calls_where: str, entries_where: str, small_side: str) -> str:
    calls = f"""(SELECT TraceId, SpanId, ServiceName, StatusCode FROM {db}.otel_traces
        WHERE {time_clause()} AND {_CALLS} AND {calls_where}) AS p"""
    entries = f"""(SELECT TraceId, ParentSpanId, ServiceName, StatusCode, Duration FROM {db}.otel_traces
        WHERE {time_clause()} AND {_ENTRY} AND ParentSpanId != '' AND {entries_where}) AS c"""
    # the right side of a join is held in memory: put the side limited to one service there
    left, right = (entries, calls) if small_side == "calls" else (calls, entries)
    return f"""
        SELECT p.ServiceName AS caller, c.ServiceName AS callee, count() AS calls,
            countIf(p.StatusCode = 'Error' OR c.StatusCode = 'Error') AS errors,
            quantile(0.95)(c.Duration) AS p95_ns
        FROM {left} INNER JOIN {right} ON c.TraceId = p.TraceId AND c.ParentSpanId = p.SpanId
        WHERE caller != callee
        GROUP BY caller, callee"""


def service_edges(client: Client, db: str, w: Window, service: str | None = None) -> list[dict]:
    """Return caller -> callee edges with call count, errors (either side) and the callee's p95.

    An edge is a client or producer span whose child, a server or consumer span, belongs to another
    service. When `service` is given, only edges touching it: its callers and its callees.
    """
    if service is None:
        sql = _edges_sql(db, "1", "1", "entries") + " ORDER BY caller, callee"
    else:
        callers = _edges_sql(db, "1", _ONE, "entries")
        callees = _edges_sql(db, _ONE, "1", "calls")
        sql = f"SELECT * FROM ({callers} UNION ALL {callees}) ORDER BY caller, callee"
    seconds = (w.end_ns - w.start_ns) / 1e9
    out = rows(client, sql, {**w.params, "service": service or ""})
    for e in out:
        e["rate"] = e["calls"] / seconds
        e["error_rate"] = e["errors"] / e["calls"]
    return out
