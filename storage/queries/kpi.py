"""Reads for KPI pages: a panel's metric per step and group through the explorer's counter and gauge maths,
the metrics that carry the business attribute, and the metric names the store knows."""

from __future__ import annotations

from dataclasses import dataclass, field

from clickhouse_connect.driver import Client

from storage.queries.common import AttrFilter, Window, rows, time_clause
from storage.queries.metrics import KINDS, MetricQuery, counter_increase, value_series

# how far before a window a counter's last point is looked for, as the baseline of its first increase
BASELINE_LOOKBACK_S = 3600


@dataclass(frozen=True)
class KpiQuery:
    """A counter ('sum') or gauge metric with label filters and group-by labels."""

    metric: str
    kind: str  # "sum" or "gauge"
    filters: tuple[AttrFilter, ...] = field(default_factory=tuple)
    group_by: tuple[str, ...] = ()


def kpi_points(client: Client, db: str, w: Window, q: KpiQuery) -> list[dict]:
    """Return {t, g, value} per step and group: a counter's increase (resets handled), or a gauge's sum over series."""
    mq = MetricQuery(q.metric, q.kind, q.filters, q.group_by)
    if q.kind == "sum":
        points = counter_increase(client, db, w, mq, BASELINE_LOOKBACK_S)
        return [{"t": r["t"], "g": r["g"], "value": r["value"]} for r in points]
    return value_series(client, db, w, mq, "sum")


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
