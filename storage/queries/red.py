"""The services list over long windows, from ten-minute slots of entry spans with duration histograms.

The list needs every service's calls, errors and p50/p95/p99 over the window and the one before it.
Read from raw spans that is every entry span's `Duration` twice a window: at ten million spans a day,
hundreds of milliseconds of quantile work however ClickHouse computes them (reservoir, exact, t-digest
alike). The service map's job (dashboard/edge_job.py) also folds each ten-minute slot it rolls into
one row per service in `otelhouse_service_red`: calls, errors, and a histogram of durations whose buckets are
2^(1/16) wide. A day is then 144 rows per service, and a quantile read from the histogram is within
2.2% of the exact one (a bucket stands for its geometric middle; rank interpolation as numpy's).

A window reads whole covered slots from the rollup and raw spans for the rest (its unaligned edges,
the newest minutes not rolled yet, anything older than a gap in what the job rolled): counts are
always exact. Windows
shorter than ROLLUP_FROM_S read raw spans only, with exact quantiles.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from clickhouse_connect.driver import Client

from storage.queries.common import ENTRY_SPANS, NS, Window, log_bucket_sql, rows, time_clause
from storage.queries.edges import rolled_minutes

SLOT_S = 600
BUCKETS_PER_OCTAVE = 16
GROWTH = 2 ** (1 / BUCKETS_PER_OCTAVE)  # a bucket is this many times the one below it
ROLLUP_FROM_S = 2 * 3600  # shorter windows read raw spans: exact quantiles, and fast enough there
_SLOT_OF = f"toDateTime(intDiv(toUnixTimestamp(Timestamp), {SLOT_S}) * {SLOT_S})"  # not zone-aligned


def bucket_sql(column: str = "Duration") -> str:
    """Return the histogram bucket of a duration in ns: round(log2(d) * 16), 0 for 0 and 1 ns."""
    return log_bucket_sql(column, GROWTH)


def bucket_value(k: int) -> float:
    """Return the duration a bucket stands for (its geometric middle), in ns."""
    return GROWTH**k


def quantiles_from_buckets(buckets: Mapping[int, int], qs: Sequence[float]) -> list[float | None]:
    """Return quantiles of a bucketed distribution, interpolating between ranks as numpy does."""
    keys = sorted(k for k, n in buckets.items() if n)
    total = sum(buckets[k] for k in keys)
    if not total:
        return [None] * len(qs)
    upper, running = [], 0  # upper[i]: how many values lie in buckets keys[0..i]
    for k in keys:
        running += buckets[k]
        upper.append(running)

    def at(rank: int) -> float:  # the value of the rank-th smallest (0-based)
        return bucket_value(keys[bisect.bisect_right(upper, rank)])

    out: list[float | None] = []
    for q in qs:
        pos = q * (total - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, total - 1)
        out.append(at(lo) + (at(hi) - at(lo)) * (pos - lo))
    return out


@dataclass(frozen=True)
class Coverage:
    """The slots the job has rolled: [from_s, to_s), Unix seconds on slot boundaries."""

    from_s: int
    to_s: int


def coverage(client: Client, db: str, lo_ns: int, hi_ns: int) -> Coverage | None:
    """Return the run of whole slots the job has rolled that ends at the newest one in [lo_ns, hi_ns).

    The job rolls these slots with the service map's minutes and marks the minutes when both are
    written (dashboard/edge_job.py), so a slot whose ten minutes are all marked is in the rollup.
    """
    return whole_rolled_run(rolled_minutes(client, db, lo_ns, hi_ns))


def whole_rolled_run(minutes_ns: Iterable[int]) -> Coverage | None:
    """Return the newest contiguous run of slots whose every minute is among `minutes_ns` (None: none)."""
    per_slot = Counter(m // NS // SLOT_S * SLOT_S for m in set(minutes_ns))
    whole = {s for s, n in per_slot.items() if n == SLOT_S // 60}
    if not whole:
        return None
    hi = max(whole) + SLOT_S
    lo = hi - SLOT_S
    while lo - SLOT_S in whole:
        lo -= SLOT_S
    return Coverage(lo, hi)


def roll_slots(client: Client, db: str, lo_s: int, hi_s: int) -> None:
    """(Re)write the rollup rows of the slots in [lo_s, hi_s); a slot written again replaces its rows."""
    client.command(
        f"""INSERT INTO {db}.otelhouse_service_red (Slot, ServiceName, Calls, Errors, DurationBuckets)
        SELECT Slot, ServiceName, sum(n), sum(e), mapFromArrays(groupArray(k), groupArray(n))
        FROM (
            SELECT {_SLOT_OF} AS Slot, ServiceName, {bucket_sql()} AS k,
                count() AS n, countIf(StatusCode = 'Error') AS e
            FROM {db}.otel_traces
            WHERE Timestamp >= toDateTime({{lo:UInt32}}) AND Timestamp < toDateTime({{hi:UInt32}}) AND {ENTRY_SPANS}
            GROUP BY Slot, ServiceName, k
        )
        GROUP BY Slot, ServiceName""",
        parameters={"lo": lo_s, "hi": hi_s},
    )


def whole_slots(start_ns: int, end_ns: int, cov: Coverage) -> tuple[int, int]:
    """Return [lo_s, hi_s): the covered slots lying wholly inside [start_ns, end_ns) (lo == hi: none)."""
    lo = max(-(-start_ns // (SLOT_S * NS)) * SLOT_S, cov.from_s)
    hi = min(end_ns // (SLOT_S * NS) * SLOT_S, cov.to_s)
    return (lo, hi) if lo < hi else (lo, lo)


def uses_rollup(w: Window) -> bool:
    """Tell whether a window is long enough to read the rollup."""
    return w.end_ns - w.start_ns >= ROLLUP_FROM_S * NS


def _in_ranges(column: str) -> str:
    """Return the bound condition `column` in range r0 or range r1 (Unix seconds, half-open)."""
    one = "({c} >= toDateTime({{r{i}_lo:UInt32}}) AND {c} < toDateTime({{r{i}_hi:UInt32}}))"
    return " OR ".join(one.format(c=column, i=i) for i in (0, 1))


def _mixed_sql(db: str, key_rollup: str, key_raw: str, buckets: bool) -> str:
    """Rollup rows in the ranges r0 and r1, raw entry spans elsewhere in [lo, hi), summed by (name, key)."""
    b_rollup, b_raw, b_out, k_col, k_key = "map()", "map()", "", "", ""
    if buckets:
        b_rollup, b_raw, b_out = "DurationBuckets", "mapFromArrays(groupArray(k), groupArray(n))", ", sumMap(b) AS b"
        k_col, k_key = f", {bucket_sql()} AS k", ", k"
    return f"""
        SELECT name, key, sum(calls) AS calls, sum(errors) AS errors{b_out}
        FROM (
            SELECT ServiceName AS name, {key_rollup} AS key, Calls AS calls, Errors AS errors, {b_rollup} AS b
            FROM {db}.otelhouse_service_red FINAL
            WHERE {_in_ranges("Slot")}
            UNION ALL
            SELECT name, key, sum(n) AS calls, sum(e) AS errors, {b_raw} AS b
            FROM (
                SELECT ServiceName AS name, {key_raw} AS key{k_col}, count() AS n,
                    countIf(StatusCode = 'Error') AS e
                FROM {db}.otel_traces
                WHERE {time_clause(start="lo", end="hi")} AND {ENTRY_SPANS} AND NOT ({_in_ranges("Timestamp")})
                GROUP BY name, key{k_key}
            )
            GROUP BY name, key
        )
        GROUP BY name, key"""


def _range_params(ranges: Sequence[tuple[int, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, (lo, hi) in enumerate(ranges):
        out |= {f"r{i}_lo": lo, f"r{i}_hi": hi}
    return out


def red_by_period(client: Client, db: str, w: Window, cov: Coverage) -> list[dict]:
    """Return (name, key: in this window or the one before, calls, errors, duration buckets) rows."""
    prev = w.previous()
    ranges = [whole_slots(prev.start_ns, prev.end_ns, cov), whole_slots(w.start_ns, w.end_ns, cov)]
    sql = _mixed_sql(
        db,
        "Slot >= fromUnixTimestamp64Nano({start:Int64})",
        "Timestamp >= fromUnixTimestamp64Nano({start:Int64})",
        True,
    )
    params = {"lo": prev.start_ns, "hi": w.end_ns, "start": w.start_ns, **_range_params(ranges)}
    return rows(client, sql, params)


def counts_by_step(client: Client, db: str, w: Window, cov: Coverage) -> list[dict]:
    """Return (name, key: the step's start in Unix seconds, calls, errors) rows; w.step_s a multiple of SLOT_S."""
    ranges = [whole_slots(w.start_ns, w.end_ns, cov), (0, 0)]
    step = "{step:UInt32}"
    sql = _mixed_sql(
        db,
        f"toUInt32(intDiv(toUnixTimestamp(Slot), {step}) * {step})",
        f"toUInt32(intDiv(toUnixTimestamp(Timestamp), {step}) * {step})",
        False,
    )
    params = {"lo": w.start_ns, "hi": w.end_ns, "step": w.step_s, **_range_params(ranges)}
    return rows(client, sql, params)
