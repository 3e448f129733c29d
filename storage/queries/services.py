"""Services and operations: request rate, error rate and latency quantiles from entry spans, and their trends."""

from __future__ import annotations

from dataclasses import dataclass

from clickhouse_connect.driver import Client

from storage.queries.common import ENTRY_KINDS, NS, Window, bucket_expr, rows, time_clause

_ENTRY = "SpanKind IN ('" + "','".join(ENTRY_KINDS) + "')"
# the rollups of every service, coarsest first: (seconds a row covers, table); each unit divides the
# one before it
Units = tuple[tuple[int, str], ...]
ROLLUPS: Units = ((600, "otel_traces_red_10m"), (60, "otel_traces_red_minute"))
# below this much time the spans alone are read: a rollup's quantile states hold every duration up to
# 8,192 a row, so they pay back only over many rows, and short windows read few granules anyway
ROLLUP_MIN_NS = 3 * 3600 * NS


@dataclass(frozen=True)
class Split:
    """Where a query reads a window from: rollup rows for whole units, spans for the rest.

    A ten-minute or minute unit holding no window boundary lies wholly inside one window and is
    read from its rollup (a minute only inside a ten-minute unit that holds a boundary); the minutes
    holding a boundary are read from the spans, cut at the boundary. Together they cover the window
    once, so the figures equal those of the spans alone.
    """

    parts: tuple[tuple[str, str], ...]  # (rollup table, condition on its Start) per level
    raw: str  # the spans' time condition
    params: dict[str, object]


def split(boundaries: list[int], units: Units) -> Split:
    """Return the split of [boundaries[0], boundaries[-1]) (ns), windows being cut at every boundary."""
    lo, hi = boundaries[0], boundaries[-1]
    if hi - lo < ROLLUP_MIN_NS:
        units = ()
    params: dict[str, object] = {"lo": lo, "hi": hi}
    parts, outer = [], ""
    for level, (unit, table) in enumerate(units):
        at = sorted({b // NS // unit * unit for b in boundaries})
        params |= {f"at{level}": at, f"lo{level}": at[0], f"hi{level}": at[-1]}
        cond = f"""Start >= toDateTime({{lo{level}:UInt32}}) AND Start < toDateTime({{hi{level}:UInt32}})
            AND toUInt32(Start) NOT IN {{at{level}:Array(UInt32)}}"""
        parts.append((table, cond + outer))
        outer = f" AND intDiv(toUInt32(Start), {unit}) * {unit} IN {{at{level}:Array(UInt32)}}"
    finest = units[-1][0] if units else 0
    raw = "Timestamp >= fromUnixTimestamp64Nano({lo:Int64}) AND Timestamp < fromUnixTimestamp64Nano({hi:Int64})"
    if finest:
        edges = sorted({b // NS // finest * finest for b in boundaries})
        params |= {f"edge{i}": e for i, e in enumerate(edges)}
        near = " OR ".join(
            f"(Timestamp >= toDateTime({{edge{i}:UInt32}}) AND Timestamp < toDateTime({{edge{i}:UInt32}} + {finest}))"
            for i in range(len(edges))
        )
        raw += f" AND ({near})"
    return Split(tuple(parts), raw, params)


def _rolled(db: str, s: Split, keys: str, raw_keys: str, rollup_keys: str, where: str) -> str:
    """Return the union of rollup rows and edge spans' rows (Calls, Errors, Durations per key)."""
    rolled = [
        f"SELECT {rollup_keys}, Calls, Errors, Durations FROM {db}.{table} WHERE {cond} AND {where}"
        for table, cond in s.parts
    ]
    raw = f"""SELECT {raw_keys}, count() AS Calls, countIf(StatusCode = 'Error') AS Errors,
            quantilesState(0.5, 0.95, 0.99)(Duration) AS Durations
        FROM {db}.otel_traces
        WHERE {s.raw} AND {_ENTRY} AND {where}
        GROUP BY {keys}"""
    return " UNION ALL ".join([*rolled, raw])


def _red_spans_sql(db: str, key: str, where: str) -> str:
    # from the spans alone, one pass over the current and the previous window: `cur` splits them
    return f"""
        SELECT {key} AS name,
            countIf(cur) AS calls, countIf(cur AND StatusCode = 'Error') AS errors,
            quantilesIf(0.5, 0.95, 0.99)(Duration, cur) AS q,
            countIf(NOT cur) AS prev_calls, countIf(NOT cur AND StatusCode = 'Error') AS prev_errors,
            quantilesIf(0.5, 0.95, 0.99)(Duration, NOT cur) AS prev_q
        FROM (
            SELECT {key}, StatusCode, Duration, Timestamp >= fromUnixTimestamp64Nano({{start:Int64}}) AS cur
            FROM {db}.otel_traces
            WHERE {time_clause(start="prev")} AND {_ENTRY} AND {where}
        )
        GROUP BY name ORDER BY name"""


def _red(client: Client, db: str, w: Window, key: str, where: str, params: dict, units: Units) -> list[dict]:
    s = split([w.previous().start_ns, w.start_ns, w.end_ns], units)
    seconds = (w.end_ns - w.start_ns) / 1e9
    by_name: dict[str, dict] = {}
    if not s.parts:
        for r in rows(client, _red_spans_sql(db, key, where), {**w.params, **params, "prev": w.previous().start_ns}):
            by_name[r["name"]] = {
                "name": r["name"],
                1: {"calls": r["calls"], "errors": r["errors"], "q": r["q"]},
                0: {"calls": r["prev_calls"], "errors": r["prev_errors"], "q": r["prev_q"]},
            }
        return [_shape(parts, seconds) for parts in by_name.values()]
    # the rollups for whole units, the spans at the edges; `cur` tells the two windows apart
    cur_raw = f"{key} AS name, Timestamp >= fromUnixTimestamp64Nano({{start:Int64}}) AS cur"
    cur_rollup = f"{key} AS name, Start >= toDateTime(intDiv({{start:Int64}}, {NS})) AS cur"
    sql = f"""
        SELECT name, cur, sum(Calls) AS calls, sum(Errors) AS errors,
            quantilesMerge(0.5, 0.95, 0.99)(Durations) AS q
        FROM ({_rolled(db, s, "name, cur", cur_raw, cur_rollup, where)})
        GROUP BY name, cur ORDER BY name"""
    for r in rows(client, sql, {**s.params, **params, "start": w.start_ns}):
        by_name.setdefault(r["name"], {"name": r["name"]})[r["cur"]] = r
    return [_shape(parts, seconds) for parts in by_name.values()]


def _shape(parts: dict, seconds: float) -> dict:
    none = {"calls": 0, "errors": 0, "q": [None] * 3}
    r, p = parts.get(1, none), parts.get(0, none)
    q = r["q"]
    return {
        "name": parts["name"],
        "calls": r["calls"],
        "errors": r["errors"],
        "rate": r["calls"] / seconds,
        "error_rate": r["errors"] / r["calls"] if r["calls"] else 0.0,
        "p50_ns": q[0] if r["calls"] else None,
        "p95_ns": q[1] if r["calls"] else None,
        "p99_ns": q[2] if r["calls"] else None,
        "prev": {
            "calls": p["calls"],
            "rate": p["calls"] / seconds,
            "error_rate": p["errors"] / p["calls"] if p["calls"] else None,
            "p95_ns": p["q"][1] if p["calls"] else None,
        },
    }


def service_red(client: Client, db: str, w: Window) -> list[dict]:
    """Return every service's rate, error rate and p50/p95/p99 over the window and the one before it."""
    return _red(client, db, w, "ServiceName", "1", {}, ROLLUPS)


def operation_red(client: Client, db: str, w: Window, service: str) -> list[dict]:
    """Return the same figures per operation (span name) of one service.

    From the spans only: the rollups hold services, not operations, and one service's spans are few
    granules (the table is sorted by service first).
    """
    return _red(client, db, w, "SpanName", "ServiceName = {service:String}", {"service": service}, ())


def service_sparklines(client: Client, db: str, w: Window, service: str | None = None) -> list[dict]:
    """Return calls, errors and p95 per step per service (one service when named: from its spans only)."""
    where = "ServiceName = {service:String}" if service is not None else "1"
    units = tuple(u for u in ROLLUPS if w.step_s % u[0] == 0) if service is None else ()
    s = split([w.start_ns, w.end_ns], units)
    if not s.parts:
        sql = f"""
            SELECT ServiceName AS name, {bucket_expr()} AS t, count() AS calls,
                countIf(StatusCode = 'Error') AS errors, quantile(0.95)(Duration) AS p95_ns
            FROM {db}.otel_traces
            WHERE {time_clause()} AND {_ENTRY} AND {where}
            GROUP BY name, t ORDER BY name, t"""
        return rows(client, sql, {**w.params, "service": service or ""})
    keys = ("ServiceName AS name, " + bucket_expr(), "ServiceName AS name, " + bucket_expr("Start"))
    sql = f"""
        SELECT name, t, sum(Calls) AS calls, sum(Errors) AS errors,
            quantilesMerge(0.5, 0.95, 0.99)(Durations)[2] AS p95_ns
        FROM ({_rolled(db, s, "name, t", keys[0] + " AS t", keys[1] + " AS t", where)})
        GROUP BY name, t ORDER BY name, t"""
    return rows(client, sql, {**w.params, **s.params})


def latency_heatmap(client: Client, db: str, w: Window, service: str) -> list[dict]:
    """Return span counts per step and per power-of-two duration bucket (upper bound in ns)."""
    sql = f"""
        SELECT {bucket_expr()} AS t, toUInt64(exp2(ceil(log2(greatest(Duration, 1))))) AS le_ns, count() AS n
        FROM {db}.otel_traces
        WHERE {time_clause()} AND {_ENTRY} AND ServiceName = {{service:String}}
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
        WHERE {time_clause()} AND {_ENTRY} AND ServiceName = {{service:String}}
        ORDER BY Duration DESC LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**w.params, "service": service, "limit": limit})


def service_names(client: Client, db: str, w: Window) -> list[str]:
    """Return the names of services that sent spans in the window."""
    sql = f"SELECT DISTINCT ServiceName FROM {db}.otel_traces WHERE {time_clause()} ORDER BY ServiceName"
    return [r["ServiceName"] for r in rows(client, sql, w.params)]
