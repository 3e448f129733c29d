"""Reads for KPI pages: a panel's metric per step and group through the explorer's counter and gauge maths,
the metrics that carry the business attribute, and the metric names the store knows."""

from __future__ import annotations

from dataclasses import dataclass, field

from clickhouse_connect.driver import Client

from storage.queries.common import AttrFilter, Window, rows, time_clause
from storage.queries.metrics import KINDS, MetricQuery, counter_increase, value_series

# how far before a window a counter's last point is looked for, as the baseline of its first increase
BASELINE_LOOKBACK_S = 3600
MAX_KPI_ROWS = 200_000  # (step, group) rows of one panel query: bounds a page's memory


@dataclass(frozen=True)
class KpiQuery:
    """A counter ('sum') or gauge metric with label filters and group-by labels."""

    metric: str
    kind: str  # "sum" or "gauge"
    filters: tuple[AttrFilter, ...] = field(default_factory=tuple)
    group_by: tuple[str, ...] = ()


class TooManyRows(ValueError):
    """A panel splits into more (step, group) rows than a page may hold; the message says how to narrow it."""


def kpi_points(client: Client, db: str, w: Window, q: KpiQuery) -> list[dict]:
    """Return {t, g, value} per step and group: a counter's increase (resets handled), or a gauge's sum over
    series. Raise TooManyRows past MAX_KPI_ROWS (a group-by label with very many values)."""
    mq = MetricQuery(q.metric, q.kind, q.filters, q.group_by)
    if q.kind == "sum":
        points = counter_increase(client, db, w, mq, BASELINE_LOOKBACK_S, MAX_KPI_ROWS + 1)
        points = [{"t": r["t"], "g": r["g"], "value": r["value"]} for r in points]
    else:
        points = value_series(client, db, w, mq, "sum", MAX_KPI_ROWS + 1)
    if len(points) > MAX_KPI_ROWS:
        raise TooManyRows(
            f"metric {q.metric!r} grouped by {', '.join(q.group_by) or 'nothing'} gives more than {MAX_KPI_ROWS} "
            "rows over this range; choose a longer period or a shorter range, or filter the labels"
        )
    return points


def _each_kind(db: str, select: str, where: str) -> str:
    return " UNION ALL ".join(f"SELECT {select} FROM {db}.otel_metrics_{k} WHERE {where}" for k in KINDS)


def metrics_with_attribute(client: Client, db: str, w: Window, key: str, value: str) -> list[str]:
    """Return the names of metrics with a point in the window whose resource or point attribute key = value."""
    where = (
        f"{time_clause('TimeUnix')} AND (Attributes[{{key:String}}] = {{value:String}} "
        "OR ResourceAttributes[{key:String}] = {value:String})"
    )
    sql = f"SELECT DISTINCT name FROM ({_each_kind(db, 'MetricName AS name', where)}) ORDER BY name"
    return [r["name"] for r in rows(client, sql, {**w.params, "key": key, "value": value})]


def metric_names(client: Client, db: str, w: Window) -> set[str]:
    """Return the names of every metric with a point in the window."""
    sql = f"SELECT DISTINCT name FROM ({_each_kind(db, 'MetricName AS name', time_clause('TimeUnix'))})"
    return {r["name"] for r in rows(client, sql, w.params)}
