"""Collector health: ingest rates, refusals, latency, queues and the write-ahead log, from the collector's /metrics.

Prometheus scrapes each collector's /metrics (compose profile `prometheus`); one panel reads ClickHouse to show
what arrived in the tables.
"""

from __future__ import annotations

from typing import Any

from grafana.boards.model import Panel, dashboard, prom_target, prom_variable, row, sql_target

UID = "otelhouse-collector"
C = "otelhouse_collector_"
SEL = '{instance=~"$instance"}'


# what the tables hold, by signal (metric tables are timed by TimeUnix, the others by Timestamp)
STORED = {
    "otel_traces": "spans",
    "otel_logs": "log records",
    "otel_metrics_sum": "sum points",
    "otel_metrics_histogram": "histogram points",
    "otel_metrics_gauge": "gauge points",
}


def _stored(table: str, label: str) -> str:
    column = "TimeUnix" if table.startswith("otel_metrics") else "Timestamp"
    return (
        f"SELECT $__timeInterval({column}) AS time, '{label}' AS signal, count() AS rows\n"
        f"    FROM {table} WHERE $__timeFilter({column}) GROUP BY time\n"
    )


def _rate(metric: str, by: str) -> str:
    return f"sum by ({by}) (rate({C}{metric}{SEL}[$__rate_interval]))"


def _p99(metric: str, by: str) -> str:
    return f"histogram_quantile(0.99, sum by (le, {by}) (rate({C}{metric}_bucket{SEL}[$__rate_interval])))"


def _prom(title: str, expr: str, legend: str, unit: str = "", width: int = 8, description: str = "") -> Panel:
    return Panel("timeseries", title, [prom_target(expr, legend)], width=width, unit=unit, description=description)


def build() -> dict[str, Any]:
    """Return the collector health dashboard."""
    stored = f"""
SELECT time, signal, rows FROM (
{" UNION ALL ".join(_stored(*t) for t in STORED.items())}
)
ORDER BY time
"""
    healthy = Panel(
        "stat",
        "Background parts healthy",
        [prom_target(f"min by (part) ({C}healthy{SEL})", "{{part}}")],
        width=24,
        height=4,
        description="1 while a part's last attempt succeeded (writers, checkpoint); 0 means it is retrying.",
        options={"colorMode": "background", "reduceOptions": {"calcs": ["lastNotNull"]}},
    )
    items: list[Panel | dict[str, Any]] = [
        healthy,
        row("Ingest"),
        _prom("Items accepted per second", _rate("items_accepted_total", "signal"), "{{signal}}", "short"),
        _prom("Requests per second by status", _rate("requests_total", "protocol, code"), "{{protocol}} {{code}}"),
        _prom(
            "Refused and rejected per second",
            f"{_rate('items_rejected_total', 'signal')} or {_rate('auth_failures_total', 'protocol')}",
            "{{signal}}{{protocol}}",
            description="Items rejected as invalid, by signal; requests refused for a wrong ingest key, by protocol.",
        ),
        _prom("Request latency p99", _p99("request_duration_seconds", "signal"), "{{signal}}", "s"),
        _prom("Insert latency p99", _p99("flush_duration_seconds", "signal"), "{{signal}}", "s"),
        _prom("Insert errors per second", _rate("insert_errors_total", "signal, kind"), "{{signal}} {{kind}}"),
        row("Backlog"),
        _prom("Queued items", f"sum by (signal) ({C}queue_items{SEL})", "{{signal}}", "short"),
        _prom("Write-ahead log backlog", f"sum by (signal) ({C}wal_backlog_bytes{SEL})", "{{signal}}", "bytes"),
        _prom("Oldest unstored record", f"max by (signal) ({C}wal_oldest_age_seconds{SEL})", "{{signal}}", "s"),
        row("Stored"),
        Panel(
            "timeseries",
            "Rows in ClickHouse by event time",
            [sql_target(stored)],
            width=24,
            unit="short",
            description="What the tables hold per interval, by the telemetry's own time (late data shows up late).",
        ),
    ]
    variables = [prom_variable("instance", "Collector", f"{C}healthy", "instance")]
    return dashboard(
        UID, "Collector health", "The otelhouse collector's own metrics (via Prometheus).", variables, items
    )
