"""The service map: calls between services, from client/producer spans and their server/consumer children.

An edge is a client or producer span (the parent) whose child, a server or consumer span, belongs to
another service. It is counted at its child's time, and only when the parent started at most
PARENT_BEFORE_NS before the child and less than PARENT_AFTER_NS after it (clock skew): the rule is a
property of the pair, so an answer does not depend on how a window is cut into pieces.

Joining every call with every child over a day is the slow part of the map, so a job
(`rollup_minutes`, run each minute by dashboard/edge_job.py) writes the join per whole minute into
`otelhouse_service_edges` and marks the minute in `otelhouse_service_edges_rolled`. `service_edges`
reads marked minutes from the rollup and joins raw spans only for the rest of the window (the newest
minutes, a window's partial first and last minute, minutes not rolled yet). The callee's p95 comes
from counts per logarithmic bucket (1% wide) in both parts: counts add exactly, so rolled and raw
answers merge into the same figures.
"""

from __future__ import annotations

from clickhouse_connect.driver import Client

from storage.queries.common import CALL_SPANS, ENTRY_SPANS, NS, Window, log_bucket_sql, rows, time_clause

MINUTE_NS = 60 * NS
PARENT_BEFORE_NS = 15 * MINUTE_NS  # a parent that started earlier than this before its child is not joined
PARENT_AFTER_NS = MINUTE_NS  # nor one that started this long after it (hosts' clocks disagree a little)
MAX_RAW_PIECES = 16  # a window with more unrolled pieces than this is joined raw as a whole
# the callee's durations as counts per logarithmic bucket: bucket k holds [GROWTH^(k-1/2), GROWTH^(k+1/2)),
# so GROWTH^k is within 1% of every duration in it (keys fit UInt16 for any UInt64 duration)
GROWTH = 1.02
_BUCKET = log_bucket_sql("c.Duration", GROWTH)

_ONE = "ServiceName = {service:String}"

Piece = tuple[int, int]  # [lo_ns, hi_ns)


def _any_of(pieces: list[Piece], prefix: str, params: dict[str, object], widen: Piece = (0, 0)) -> str:
    """Return `Timestamp` in any of the pieces (each widened by `widen` before/after), binding their bounds."""
    terms = []
    for i, (lo, hi) in enumerate(pieces):
        params[f"{prefix}lo{i}"], params[f"{prefix}hi{i}"] = lo - widen[0], hi + widen[1]
        terms.append(f"({time_clause(start=f'{prefix}lo{i}', end=f'{prefix}hi{i}')})")
    return " OR ".join(terms)


def _pairs_sql(db: str, pieces: list[Piece], params: dict, calls_where: str, entries_where: str, small: str) -> str:
    """Return FROM ... WHERE joining children in `pieces` with their parents (aliases p and c)."""
    children = _any_of(pieces, "c", params)
    parents = _any_of(pieces, "p", params, (PARENT_BEFORE_NS, PARENT_AFTER_NS))
    calls = f"""(SELECT TraceId, SpanId, ServiceName, StatusCode, toUnixTimestamp64Nano(Timestamp) AS ts
        FROM {db}.otel_traces WHERE ({parents}) AND {CALL_SPANS} AND {calls_where}) AS p"""
    entries = f"""(SELECT TraceId, ParentSpanId, ServiceName, StatusCode, Duration, Timestamp,
            toUnixTimestamp64Nano(Timestamp) AS ts
        FROM {db}.otel_traces WHERE ({children}) AND {ENTRY_SPANS} AND ParentSpanId != '' AND {entries_where}) AS c"""
    # the right side of a join is held in memory: put the side limited to one service there
    left, right = (entries, calls) if small == "calls" else (calls, entries)
    return f"""FROM {left} INNER JOIN {right} ON c.TraceId = p.TraceId AND c.ParentSpanId = p.SpanId
        WHERE p.ServiceName != c.ServiceName
            AND p.ts > c.ts - {PARENT_BEFORE_NS} AND p.ts < c.ts + {PARENT_AFTER_NS}"""


_FIGURES = f"""count() AS calls, countIf(p.StatusCode = 'Error' OR c.StatusCode = 'Error') AS errors,
    sumMap(map({_BUCKET}, toUInt64(1))) AS durations"""
# the p95 from merged buckets: the bucket holding the value of rank 0.95 (n - 1), counted from 0
_P95 = f"pow({GROWTH}, mapKeys(h)[arrayFirstIndex(n -> n > 0.95 * (calls - 1), arrayCumSum(mapValues(h)))])"


def _raw_sql(db: str, pieces: list[Piece], params: dict, service: str | None) -> str:
    """Return the raw join over `pieces`: caller, callee, calls, errors, durations (a sketch state)."""
    head = f"SELECT p.ServiceName AS caller, c.ServiceName AS callee, {_FIGURES} "
    tail = " GROUP BY caller, callee"
    if service is None:
        return head + _pairs_sql(db, pieces, params, "1", "1", "entries") + tail
    callers = head + _pairs_sql(db, pieces, params, "1", _ONE, "entries") + tail
    callees = head + _pairs_sql(db, pieces, params, _ONE, "1", "calls") + tail
    return f"{callers} UNION ALL {callees}"


def _rolled_sql(db: str, rolled: Piece, raw: list[Piece], params: dict, service: str | None) -> str:
    """Return the rollup's rows of the whole minutes in `rolled` outside the `raw` pieces."""
    params["rlo"], params["rhi"] = rolled[0] // NS, rolled[1] // NS
    outside = []
    for i, (lo, hi) in enumerate(raw):
        params[f"xlo{i}"], params[f"xhi{i}"] = lo // NS, -(-hi // NS)
        outside.append(f"NOT (Minute >= toDateTime({{xlo{i}:UInt32}}) AND Minute < toDateTime({{xhi{i}:UInt32}}))")
    touching = "1" if service is None else "(Caller = {service:String} OR Callee = {service:String})"
    return f"""SELECT Caller AS caller, Callee AS callee, Calls AS calls, Errors AS errors, Durations AS durations
        FROM {db}.otelhouse_service_edges FINAL
        WHERE Minute >= toDateTime({{rlo:UInt32}}) AND Minute < toDateTime({{rhi:UInt32}})
            AND {" AND ".join(outside) or "1"} AND {touching}"""


def minute_floor(ns: int) -> int:
    return ns - ns % MINUTE_NS


def split_window(w: Window, rolled_minutes: list[int]) -> tuple[Piece, list[Piece]]:
    """Return the whole-minute span read from the rollup and the pieces joined raw, for a window.

    `rolled_minutes` are the starts (ns) of minutes the job has rolled. A minute is read from the
    rollup when it is rolled and lies wholly inside the window; every other part of the window is
    joined raw, as few pieces as possible. Past MAX_RAW_PIECES the whole window is joined raw.
    """
    first, last = minute_floor(w.start_ns + MINUTE_NS - 1), minute_floor(w.end_ns)  # whole minutes: [first, last)
    if first >= last:
        return (first, first), [(w.start_ns, w.end_ns)]
    raw: list[Piece] = []
    cursor = w.start_ns  # the first moment not yet given to the rollup or to a raw piece
    for m in sorted(m for m in set(rolled_minutes) if first <= m < last):
        if m > cursor:
            raw.append((cursor, m))
        cursor = m + MINUTE_NS
    if cursor < w.end_ns:
        raw.append((cursor, w.end_ns))
    if len(raw) > MAX_RAW_PIECES:
        return (first, first), [(w.start_ns, w.end_ns)]
    return (first, last), raw


def rolled_minutes(client: Client, db: str, lo_ns: int, hi_ns: int) -> list[int]:
    """Return the starts (ns) of the minutes in [lo_ns, hi_ns) that the job has rolled."""
    result = client.query(
        f"SELECT DISTINCT toUnixTimestamp(Minute) FROM {db}.otelhouse_service_edges_rolled "
        "WHERE Minute >= toDateTime({lo:UInt32}) AND Minute < toDateTime({hi:UInt32})",
        parameters={"lo": lo_ns // NS, "hi": -(-hi_ns // NS)},
    )
    return [r[0] * NS for r in result.result_rows]


def service_edges(
    client: Client, db: str, w: Window, service: str | None = None, use_rollup: bool = True
) -> list[dict]:
    """Return caller -> callee edges with call count, errors (either side) and the callee's p95.

    When `service` is given, only edges touching it: its callers and its callees. Without
    `use_rollup`, every pair is joined from raw spans (the reference the rollup is tested against).
    """
    rolled, raw = split_window(w, rolled_minutes(client, db, w.start_ns, w.end_ns) if use_rollup else [])
    params: dict[str, object] = {"service": service or ""}
    parts = [_raw_sql(db, raw, params, service)] if raw else []
    if rolled[0] < rolled[1]:
        parts.append(_rolled_sql(db, rolled, raw, params, service))
    sql = f"""SELECT caller, callee, calls, errors, {_P95} AS p95_ns FROM (
            SELECT caller, callee, sum(calls) AS calls, sum(errors) AS errors, sumMap(durations) AS h
            FROM ({" UNION ALL ".join(parts)}) GROUP BY caller, callee)
        ORDER BY caller, callee"""
    seconds = (w.end_ns - w.start_ns) / 1e9
    out = rows(client, sql, params)
    for e in out:
        e["calls"], e["errors"] = int(e["calls"]), int(e["errors"])
        e["rate"] = e["calls"] / seconds
        e["error_rate"] = e["errors"] / e["calls"]
    return out


def rollup_minutes(client: Client, db: str, lo_ns: int, hi_ns: int) -> None:
    """Roll the edges of the whole minutes in [lo_ns, hi_ns) into the rollup, then mark them rolled.

    Idempotent: a minute rolled again replaces its rows (ReplacingMergeTree, read with FINAL), so two
    processes rolling at once count nothing twice. The marks go in after the rows: a run cut short
    leaves minutes unmarked, which readers join raw and the next run rolls again.
    """
    lo, hi = minute_floor(lo_ns), minute_floor(hi_ns)
    if lo >= hi:
        return
    params: dict[str, object] = {}
    pairs = _pairs_sql(db, [(lo, hi)], params, "1", "1", "entries")
    client.command(
        f"""INSERT INTO {db}.otelhouse_service_edges (Minute, Caller, Callee, Calls, Errors, Durations)
        SELECT toStartOfMinute(c.Timestamp) AS minute, p.ServiceName AS caller, c.ServiceName AS callee,
            {_FIGURES}
        {pairs} GROUP BY minute, caller, callee""",
        parameters=params,
    )
    client.command(
        f"INSERT INTO {db}.otelhouse_service_edges_rolled (Minute, RolledAt) "
        "SELECT toDateTime({lo:UInt32}) + number * 60, now64(3) FROM numbers({n:UInt32})",
        parameters={"lo": lo // NS, "n": (hi - lo) // MINUTE_NS},
    )


def first_span_ns(client: Client, db: str, since_ns: int) -> int | None:
    """Return the time of the oldest span at or after `since_ns`, or None when there is none."""
    result = client.query(
        f"SELECT count(), toUnixTimestamp64Nano(min(Timestamp)) FROM {db}.otel_traces WHERE {time_clause(end='end')}",
        parameters={"start": since_ns, "end": 2**63 - 1},
    )
    n, first = result.result_rows[0]
    return int(first) if n else None
