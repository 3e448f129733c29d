"""The log explorer: filtered lines newest first by cursor, counts by severity over time, context, tail."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clickhouse_connect.driver import Client

from storage.queries.common import AttrFilter, Conditions, Window, bucket_expr, newest_first_slices, rows, time_clause

# hot, being-rolled and restored lines together (a Merge table): restored archives are searched beside hot data
LOGS = "otel_logs_all"
# severity level 0..6 (unset, TRACE, DEBUG, INFO, WARN, ERROR, FATAL) from the OTLP number 0..24
LEVELS = ("UNSET", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_LEVEL = "intDiv(SeverityNumber + 3, 4)"
# a stable order for lines sharing a timestamp, so a cursor resumes exactly where a page ended
_TIEBREAK = "cityHash64(ServiceName, Body, SpanId, TraceId)"
# ClickHouse's tokens: runs of ASCII letters and digits and of any non-ASCII character
_TOKEN = re.compile(r"[A-Za-z0-9\u0080-\U0010ffff]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class LogQuery:
    """What a log search asks for; every field optional."""

    services: tuple[str, ...] = ()
    levels: tuple[int, ...] = ()  # indexes into LEVELS
    text: str = ""
    attrs: tuple[AttrFilter, ...] = field(default_factory=tuple)
    trace_id: str = ""
    span_id: str = ""


def text_terms(text: str) -> list[tuple[str, list[str]]]:
    """Split free text into terms, each with the whole tokens that must appear for it to match."""
    # lower() in ClickHouse changes ASCII letters only, so the tokens are lowered the same way
    return [(term, [t.translate(_ASCII_LOWER) for t in _TOKEN.findall(term)]) for term in text.split()]


def _conditions(q: LogQuery) -> Conditions:
    c = Conditions()
    if q.services:
        c.add("ServiceName IN {services:Array(String)}", services=list(q.services))
    if q.levels:
        c.add(f"{_LEVEL} IN {{levels:Array(UInt8)}}", levels=list(q.levels))
    if q.trace_id:
        c.add("TraceId = {trace_id:String}", trace_id=q.trace_id)
    if q.span_id:
        c.add("SpanId = {span_id:String}", span_id=q.span_id)
    for i, (term, tokens) in enumerate(text_terms(q.text)):
        # whole tokens go through the token bloom index on lower(Body); the substring check keeps order
        for j, token in enumerate(tokens):
            c.add(f"hasToken(lower(Body), {{tk{i}_{j}:String}})", **{f"tk{i}_{j}": token})
        c.add(f"positionCaseInsensitiveUTF8(Body, {{tx{i}:String}}) > 0", **{f"tx{i}": term})
    c.attrs(q.attrs, ("LogAttributes", "ResourceAttributes"))
    return c


_LINE = f"""toUnixTimestamp64Nano(Timestamp) AS ts_ns, {_TIEBREAK} AS tie, ServiceName AS service,
    SeverityText AS severity_text, SeverityNumber AS severity_number, {_LEVEL} AS level, Body AS body,
    TraceId AS trace_id, SpanId AS span_id"""
_FULL = f"""{_LINE}, LogAttributes AS attributes, ResourceAttributes AS resource, ScopeName AS scope,
    ScopeVersion AS scope_version, EventName AS event_name, TraceFlags AS trace_flags"""


def _past(c: Conditions, cursor: tuple[int, int], op: str) -> None:
    """Add the condition 'after the cursor' in the order op gives ('<': older, '>': newer)."""
    at = "fromUnixTimestamp64Nano({cur_ts:Int64})"
    c.add(
        f"(Timestamp {op} {at} OR (Timestamp = {at} AND {_TIEBREAK} {op} {{cur_tie:UInt64}}))",
        cur_ts=cursor[0],
        cur_tie=cursor[1],
    )


def search_logs(
    client: Client, db: str, w: Window, q: LogQuery, limit: int, before: tuple[int, int] | None = None
) -> list[dict]:
    """Return up to `limit` matching lines newest first, after the cursor (ts_ns, tie) when given.

    The table is not sorted by time alone, so one query over the window would read all of it before
    keeping the newest lines. The window is read in slices from its end instead, stopping once
    `limit` lines are found: the same lines in the same order, reading only the newest granules.
    """
    c = _conditions(q)
    end = w.end_ns
    if before is not None:
        _past(c, before, "<")
        end = min(end, before[0] + 1)
    sql = f"""SELECT {_FULL} FROM {db}.{LOGS} WHERE {time_clause()} AND {c.sql()}
        ORDER BY Timestamp DESC, tie DESC LIMIT {{limit:UInt32}}"""
    found: list[dict] = []
    for lo, hi in newest_first_slices(w.start_ns, end):
        found += rows(client, sql, {**c.params, "start": lo, "end": hi, "limit": limit - len(found)})
        if len(found) >= limit:
            break
    return found


def tail_logs(client: Client, db: str, w: Window, q: LogQuery, after: tuple[int, int], limit: int) -> list[dict]:
    """Return up to `limit` matching lines newer than the cursor (ts_ns, tie), oldest first."""
    c = _conditions(q)
    _past(c, after, ">")
    sql = f"""SELECT {_FULL} FROM {db}.{LOGS} WHERE {time_clause()} AND {c.sql()}
        ORDER BY Timestamp, tie LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**w.params, **c.params, "limit": limit})


def severity_histogram(client: Client, db: str, w: Window, q: LogQuery) -> list[dict]:
    """Return counts of matching lines per step and severity level."""
    c = _conditions(q)
    sql = f"""SELECT {bucket_expr()} AS t, {_LEVEL} AS level, count() AS n FROM {db}.{LOGS}
        WHERE {time_clause()} AND {c.sql()} GROUP BY t, level ORDER BY t, level"""
    return rows(client, sql, {**w.params, **c.params})


def log_context(client: Client, db: str, service: str, ts_ns: int, tie: int, n: int) -> dict[str, list[dict]]:
    """Return the `n` lines of the same service just before and just after one line (within an hour)."""
    params = {"service": service, "cur_ts": ts_ns, "cur_tie": tie, "n": n, "hour": 3600 * 10**9}
    near = (
        "ServiceName = {service:String} AND Timestamp >= fromUnixTimestamp64Nano({cur_ts:Int64} - {hour:Int64})"
        " AND Timestamp <= fromUnixTimestamp64Nano({cur_ts:Int64} + {hour:Int64})"
    )
    at = "fromUnixTimestamp64Nano({cur_ts:Int64})"
    before = f"""SELECT {_LINE} FROM {db}.{LOGS} WHERE {near}
        AND (Timestamp < {at} OR (Timestamp = {at} AND {_TIEBREAK} < {{cur_tie:UInt64}}))
        ORDER BY Timestamp DESC, tie DESC LIMIT {{n:UInt32}}"""
    after = f"""SELECT {_LINE} FROM {db}.{LOGS} WHERE {near}
        AND (Timestamp > {at} OR (Timestamp = {at} AND {_TIEBREAK} > {{cur_tie:UInt64}}))
        ORDER BY Timestamp, tie LIMIT {{n:UInt32}}"""
    return {"before": rows(client, before, params)[::-1], "after": rows(client, after, params)}


def log_services(client: Client, db: str, w: Window) -> list[str]:
    """Return the services that wrote logs in the window."""
    sql = f"SELECT DISTINCT ServiceName FROM {db}.{LOGS} WHERE {time_clause()} ORDER BY ServiceName LIMIT 1000"
    return [r["ServiceName"] for r in rows(client, sql, w.params)]
