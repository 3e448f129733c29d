"""Services and operations: request rate, error rate and latency quantiles from entry spans, and their trends."""

from __future__ import annotations

from clickhouse_connect.driver import Client

from storage.queries import red
from storage.queries.common import ENTRY_SPANS, Window, bucket_expr, rows, time_clause


def _red_sql(db: str, key: str, where: str) -> str:
    # one pass over the current and the previous window: `cur` splits them
    return f"""
        SELECT {key} AS name,
            countIf(cur) AS calls, countIf(cur AND StatusCode = 'Error') AS errors,
            quantilesIf(0.5, 0.95, 0.99)(Duration, cur) AS q,
            countIf(NOT cur) AS prev_calls, countIf(NOT cur AND StatusCode = 'Error') AS prev_errors,
            quantilesIf(0.5, 0.95, 0.99)(Duration, NOT cur) AS prev_q
        FROM (
            SELECT {key}, StatusCode, Duration, Timestamp >= fromUnixTimestamp64Nano({{start:Int64}}) AS cur
            FROM {db}.otel_traces
            WHERE {time_clause(start="prev")} AND {ENTRY_SPANS} AND {where}
        )
        GROUP BY name ORDER BY name"""


def _shape(r: dict, seconds: float) -> dict:
    q, pq = r["q"], r["prev_q"]
    return {
        "name": r["name"],
        "calls": r["calls"],
        "errors": r["errors"],
        "rate": r["calls"] / seconds,
        "error_rate": r["errors"] / r["calls"] if r["calls"] else 0.0,
        "p50_ns": q[0] if r["calls"] else None,
        "p95_ns": q[1] if r["calls"] else None,
        "p99_ns": q[2] if r["calls"] else None,
        "prev": {
            "calls": r["prev_calls"],
            "rate": r["prev_calls"] / seconds,
            "error_rate": r["prev_errors"] / r["prev_calls"] if r["prev_calls"] else None,
            "p95_ns": pq[1] if r["prev_calls"] else None,
        },
    }


def service_red(client: Client, db: str, w: Window) -> list[dict]:
    """Return every service's rate, error rate and p50/p95/p99 over the window and the one before it.

    Long windows read the ten-minute rollup where it covers them (storage/queries/red.py): counts
    exact, quantiles within 2.2%. Shorter ones read raw spans, quantiles exact.
    """
    seconds = (w.end_ns - w.start_ns) / 1e9
    cov = red.coverage(client, db, w.previous().start_ns, w.end_ns) if red.uses_rollup(w) else None
    if cov is None:
        params = {**w.params, "prev": w.previous().start_ns}
        return [_shape(r, seconds) for r in rows(client, _red_sql(db, "ServiceName", "1"), params)]
    return [_shape(r, seconds) for r in _pivot_periods(red.red_by_period(client, db, w, cov))]


def _pivot_periods(found: list[dict]) -> list[dict]:
    """Turn (name, key: current period?, calls, errors, buckets) rows into the raw query's row shape."""
    out: dict[str, dict] = {}
    for r in sorted(found, key=lambda r: r["name"]):
        row = out.setdefault(
            r["name"],
            {"name": r["name"], "calls": 0, "errors": 0, "q": [], "prev_calls": 0, "prev_errors": 0, "prev_q": []},
        )
        prefix = "" if r["key"] else "prev_"
        row[prefix + "calls"], row[prefix + "errors"] = r["calls"], r["errors"]
        row[prefix + "q"] = red.quantiles_from_buckets(r["b"], (0.5, 0.95, 0.99))
    return list(out.values())


def service_counts(client: Client, db: str, w: Window) -> list[dict]:
    """Return calls and errors per step per service: the services list's sparklines.

    Over long windows the step is rounded up to whole rollup slots, which are then read instead of spans.
    """
    cov = red.coverage(client, db, w.start_ns, w.end_ns) if red.uses_rollup(w) else None
    if cov is None:
        cov = red.Coverage(0, 0)
    else:
        w = Window(w.start_ns, w.end_ns, -(-w.step_s // red.SLOT_S) * red.SLOT_S)
    found = red.counts_by_step(client, db, w, cov)
    return [
        {"name": r["name"], "t": r["key"], "calls": r["calls"], "errors": r["errors"]}
        for r in sorted(found, key=lambda r: (r["name"], r["key"]))
    ]


def operation_red(client: Client, db: str, w: Window, service: str) -> list[dict]:
    """Return the same figures per operation (span name) of one service."""
    params = {**w.params, "prev": w.previous().start_ns, "service": service}
    seconds = (w.end_ns - w.start_ns) / 1e9
    sql = _red_sql(db, "SpanName", "ServiceName = {service:String}")
    return [_shape(r, seconds) for r in rows(client, sql, params)]


def service_sparklines(client: Client, db: str, w: Window, service: str) -> list[dict]:
    """Return one service's calls, errors and p95 per step."""
    sql = f"""
        SELECT {bucket_expr()} AS t, count() AS calls,
            countIf(StatusCode = 'Error') AS errors, quantile(0.95)(Duration) AS p95_ns
        FROM {db}.otel_traces
        WHERE {time_clause()} AND {ENTRY_SPANS} AND ServiceName = {{service:String}}
        GROUP BY t ORDER BY t"""
    return rows(client, sql, {**w.params, "service": service})


def latency_heatmap(client: Client, db: str, w: Window, service: str) -> list[dict]:
    """Return span counts per step and per power-of-two duration bucket (upper bound in ns)."""
    sql = f"""
        SELECT {bucket_expr()} AS t, toUInt64(exp2(ceil(log2(greatest(Duration, 1))))) AS le_ns, count() AS n
        FROM {db}.otel_traces
        WHERE {time_clause()} AND {ENTRY_SPANS} AND ServiceName = {{service:String}}
        GROUP BY t, le_ns ORDER BY t, le_ns"""
    return rows(client, sql, {**w.params, "service": service})


def recent_errors(client: Client, db: str, w: Window, service: str, limit: int = 20) -> list[dict]:
    """Return error spans grouped by exception type and message (the status message without one)."""
    sql = f"""
        SELECT etype AS type, emsg AS message, count() AS n,
            toUnixTimestamp64Nano(max(Timestamp)) AS last_ns, argMax(TraceId, Timestamp) AS trace_id,
            argMax(SpanName, Timestamp) AS operation
        FROM (
            SELECT Timestamp, TraceId, SpanName, indexOf(Events.Name, 'exception') AS ei,
                if(ei > 0, Events.Attributes[ei]['exception.type'], '') AS etype,
                if(ei > 0, Events.Attributes[ei]['exception.message'], StatusMessage) AS emsg
            FROM {db}.otel_traces
            WHERE {time_clause()} AND ServiceName = {{service:String}} AND StatusCode = 'Error'
        )
        GROUP BY type, message ORDER BY n DESC, last_ns DESC LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**w.params, "service": service, "limit": limit})


def slowest_spans(client: Client, db: str, w: Window, service: str, limit: int = 20) -> list[dict]:
    """Return the service's slowest entry spans with their traces."""
    sql = f"""
        SELECT TraceId AS trace_id, SpanId AS span_id, SpanName AS operation, Duration AS duration_ns,
            toUnixTimestamp64Nano(Timestamp) AS start_ns, StatusCode AS status
        FROM {db}.otel_traces
        WHERE {time_clause()} AND {ENTRY_SPANS} AND ServiceName = {{service:String}}
        ORDER BY Duration DESC LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**w.params, "service": service, "limit": limit})


def service_names(client: Client, db: str, w: Window) -> list[str]:
    """Return the names of services that sent spans in the window."""
    sql = f"SELECT DISTINCT ServiceName FROM {db}.otel_traces WHERE {time_clause()} ORDER BY ServiceName"
    return [r["ServiceName"] for r in rows(client, sql, w.params)]
