"""Logs: volume by severity and service, and the log lines themselves with links to their traces."""

from __future__ import annotations

from typing import Any

from grafana.boards.model import (
    LOGS,
    SCOPE,
    TABLE,
    Panel,
    column_links,
    dashboard,
    link,
    scope_variables,
    sql_target,
    sql_variable,
    text_value,
    textbox,
)

UID = "otelhouse-logs"
SEVERITY = "$__conditionalAll(SeverityText IN (${severity}), $severity)"
# lower(Body) carries a token index; a constant pattern lets ClickHouse skip granules with it
SEARCH = f"$__conditionalAll(lower(Body) LIKE lower(concat('%', {text_value('search')}, '%')), $search)"
TRACE = f"$__conditionalAll(TraceId = {text_value('trace_id')}, $trace_id)"
TO_SERVICE_TRACES = "/d/otelhouse-traces/traces?var-service=${__value.raw}&${__url_time_range}"
TO_TRACE = "/d/otelhouse-traces/traces?var-trace_id=${__value.raw}&${__url_time_range}"
WHERE = f"$__timeFilter(Timestamp) AND {SCOPE} AND {SEVERITY} AND {SEARCH} AND {TRACE}"


def build() -> dict[str, Any]:
    """Return the logs dashboard."""
    volume = f"""
SELECT $__timeInterval(Timestamp) AS time, SeverityText, count() AS lines
FROM otel_logs
WHERE {WHERE}
GROUP BY time, SeverityText
ORDER BY time
"""
    by_service = f"""
SELECT ServiceName AS Service, count() AS Lines, countIf(SeverityNumber >= 17) AS Errors
FROM otel_logs
WHERE {WHERE}
GROUP BY Service
ORDER BY Lines DESC
LIMIT 100
"""
    # the plugin merges ResourceAttributes and LogAttributes into the line's labels (pkg/plugin/driver.go)
    lines = f"""
SELECT Timestamp AS timestamp, Body AS body, SeverityText AS level, ServiceName AS service,
    TraceId AS traceID, SpanId AS spanID, ResourceAttributes, LogAttributes
FROM otel_logs
WHERE {WHERE}
ORDER BY Timestamp DESC
LIMIT 1000
"""
    severities = sql_variable(
        "severity",
        "Severity",
        "SELECT DISTINCT SeverityText FROM otel_logs WHERE $__timeFilter(Timestamp) ORDER BY SeverityText",
    )
    to_traces = link("Traces of ${__value.raw}", TO_SERVICE_TRACES)
    items: list[Panel | dict[str, Any]] = [
        Panel("timeseries", "Log lines by severity", [sql_target(volume)], width=16, custom={"drawStyle": "bars"}),
        Panel(
            "table",
            "Log lines by service",
            [sql_target(by_service, TABLE)],
            width=8,
            description="Errors: severity ERROR or FATAL (number 17 and above).",
            overrides=[column_links("Service", to_traces)],
        ),
        Panel(
            "logs",
            "Log lines (newest 1000)",
            [sql_target(lines, LOGS)],
            width=24,
            height=18,
            overrides=[column_links("traceID", link("Trace ${__value.raw}", TO_TRACE))],
            options={"showTime": True, "wrapLogMessage": True, "enableLogDetails": True, "sortOrder": "Descending"},
        ),
    ]
    variables = [
        *scope_variables("otel_logs"),
        severities,
        textbox("search", "Search", "Text the log line contains (any case); empty for all."),
        textbox("trace_id", "Trace ID", "Only lines of this trace; empty for all."),
    ]
    return dashboard(UID, "Logs", "Log lines from otelhouse's otel_logs.", variables, items)
