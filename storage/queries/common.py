"""What every read query shares: a time window, bound placeholders for filters, rows as dicts.

SQL text here is built only from constants and from the *number* of filters; every value a user gave
is a bound parameter (`{name:Type}`), never part of the text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from clickhouse_connect.driver import Client

NS = 1_000_000_000
ENTRY_KINDS = ("Server", "Consumer")  # spans that measure a service's own requests
CALL_KINDS = ("Client", "Producer")  # spans that call another service
ENTRY_SPANS = "SpanKind IN ('" + "','".join(ENTRY_KINDS) + "')"  # the same, as SQL conditions
CALL_SPANS = "SpanKind IN ('" + "','".join(CALL_KINDS) + "')"


@dataclass(frozen=True)
class Window:
    """A half-open time range [start_ns, end_ns) and the chart step in seconds."""

    start_ns: int
    end_ns: int
    step_s: int = 60

    @property
    def params(self) -> dict[str, int]:
        return {"start": self.start_ns, "end": self.end_ns, "step": self.step_s}

    def previous(self) -> Window:
        """Return the window of the same length just before this one."""
        length = self.end_ns - self.start_ns
        return Window(self.start_ns - length, self.start_ns, self.step_s)


def time_clause(column: str = "Timestamp", start: str = "start", end: str = "end") -> str:
    """Return the bound condition `column` in [start, end)."""
    lo, hi = f"fromUnixTimestamp64Nano({{{start}:Int64}})", f"fromUnixTimestamp64Nano({{{end}:Int64}})"
    return f"{column} >= {lo} AND {column} < {hi}"


FIRST_SLICE_NS = 5 * 60 * NS  # the newest slice a search reads first; each next one is SLICE_GROWTH times longer
SLICE_GROWTH = 4


def newest_first_slices(start_ns: int, end_ns: int) -> Iterator[tuple[int, int]]:
    """Yield [lo, hi) slices covering [start_ns, end_ns), newest first, each longer than the one before.

    A search for the newest matches reads slice by slice and stops once it has enough: the tables
    are not sorted by time alone, so one query over the whole window would read all of it first.
    """
    hi, length = end_ns, FIRST_SLICE_NS
    while hi > start_ns:
        lo = max(start_ns, hi - length)
        yield lo, hi
        hi, length = lo, length * SLICE_GROWTH


def log_bucket_sql(column: str, growth: float) -> str:
    """Return the logarithmic bucket of a non-negative number: the k with growth^k nearest it (0 for 0 and 1).

    Bucket counts add exactly, so histograms rolled up ahead and ones counted from raw rows merge.
    """
    return f"toUInt16(round(log(greatest({column}, 1)) / log({growth!r})))"


def bucket_expr(column: str = "Timestamp") -> str:
    """Return the start of the step bucket holding `column`, in Unix seconds."""
    return f"toUInt32(intDiv(toUnixTimestamp({column}), {{step:UInt32}}) * {{step:UInt32}})"


@dataclass(frozen=True)
class AttrFilter:
    """An attribute condition: key=value, key!=value, key exists, or key absent."""

    key: str
    op: str  # "=", "!=", "exists", "absent"
    value: str = ""


@dataclass
class Conditions:
    """WHERE terms and their bound parameters, grown one filter at a time."""

    terms: list[str] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)

    def add(self, term: str, **params: object) -> None:
        self.terms.append(term)
        self.params.update(params)

    def attrs(self, filters: Sequence[AttrFilter], maps: Sequence[str]) -> None:
        """Add one term per attribute filter, matching the key in any of the named map columns."""
        for i, f in enumerate(filters):
            k, v = f"ak{i}", f"av{i}"
            has = " OR ".join(f"mapContains({m}, {{{k}:String}})" for m in maps)
            equal = " OR ".join(f"{m}[{{{k}:String}}] = {{{v}:String}}" for m in maps)
            term = {"=": equal, "!=": f"NOT ({equal})", "exists": has, "absent": f"NOT ({has})"}[f.op]
            self.add(f"({term})", **{k: f.key, v: f.value})

    def sql(self) -> str:
        return " AND ".join(self.terms) if self.terms else "1"


def rows(client: Client, sql: str, params: dict[str, object]) -> list[dict]:
    """Run a query and return its rows as dicts keyed by column name."""
    result = client.query(sql, parameters=params)
    names = result.column_names
    return [dict(zip(names, r, strict=True)) for r in result.result_rows]


def columns(client: Client, sql: str, params: dict[str, object]) -> dict[str, list]:
    """Run a query and return its columns as lists keyed by column name (no dict per row)."""
    result = client.query(sql, parameters=params)
    names = result.column_names
    values = result.result_columns if result.row_count else [[] for _ in names]
    return {n: list(v) for n, v in zip(names, values, strict=True)}
