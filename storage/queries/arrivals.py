"""What has arrived lately, per signal and service (the start page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clickhouse_connect.driver import Client

# (signal, table, time column); metrics are five tables read as one signal
_SOURCES = (
    ("traces", "otel_traces", "Timestamp"),
    ("logs", "otel_logs", "Timestamp"),
    ("metrics", "otel_metrics_gauge", "TimeUnix"),
    ("metrics", "otel_metrics_sum", "TimeUnix"),
    ("metrics", "otel_metrics_histogram", "TimeUnix"),
    ("metrics", "otel_metrics_exponential_histogram", "TimeUnix"),
    ("metrics", "otel_metrics_summary", "TimeUnix"),
)


@dataclass(frozen=True)
class Arrival:
    signal: str
    service: str
    items: int
    last_seen: datetime


def arrivals_since(client: Client, database: str, minutes: int) -> list[Arrival]:
    """Return items received per signal and service in the last `minutes`, busiest first."""
    parts = [
        f"SELECT '{signal}' AS signal, ServiceName AS service, count() AS items, max({col}) AS last_seen "
        f"FROM {database}.{table} WHERE {col} >= now64(9) - toIntervalMinute({{minutes:UInt32}}) "
        "GROUP BY service"
        for signal, table, col in _SOURCES
    ]
    sql = (
        "SELECT signal, service, sum(items) AS items, max(last_seen) AS last_seen FROM ("
        + " UNION ALL ".join(parts)
        + ") GROUP BY signal, service ORDER BY items DESC, signal, service"
    )
    rows = client.query(sql, parameters={"minutes": minutes}).result_rows
    return [Arrival(signal=r[0], service=r[1], items=int(r[2]), last_seen=r[3]) for r in rows]


def has_telemetry(client: Client, database: str) -> bool:
    """Return whether any span or log line is stored (the home page opens the services then)."""
    sql = (
        f"SELECT (SELECT count() FROM (SELECT 1 FROM {database}.otel_traces LIMIT 1)) "
        f"+ (SELECT count() FROM (SELECT 1 FROM {database}.otel_logs LIMIT 1))"
    )
    return bool(client.query(sql).result_rows[0][0])
