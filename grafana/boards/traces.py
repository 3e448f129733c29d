"""Traces: span rate and duration, a span search, and one trace opened in Grafana's trace view."""

from __future__ import annotations

from typing import Any

from grafana.boards import model
from grafana.boards.model import (
    SCOPE,
    TRACES,
    Panel,
    dashboard,
    row,
    scope_variables,
    sql_target,
    sql_variable,
    table,
    text_value,
    textbox,
)

UID = "otelhouse-traces"
OPERATION = "$__conditionalAll(SpanName IN (${operation}), $operation)"
STATUS = "$__conditionalAll(StatusCode IN (${status}), $status)"
MIN_MS = f"$__conditionalAll(Duration >= toUInt64OrZero({text_value('min_ms')}) * 1000000, $min_ms)"
WHERE = f"$__timeFilter(Timestamp) AND {SCOPE} AND {OPERATION} AND {STATUS} AND {MIN_MS}"
# The trace view's columns, as the plugin's own trace-id query names them (src/data/sqlGenerator.ts). The time
# bounds come from otel_traces_trace_id_ts first, so only the trace's own day parts are read.
TRACE = f"""
WITH {text_value("trace_id")} AS wanted,
    (SELECT min(Start) FROM otel_traces_trace_id_ts WHERE TraceId = wanted) AS first_seen,
    (SELECT max(End) + 1 FROM otel_traces_trace_id_ts WHERE TraceId = wanted) AS last_seen
SELECT
    TraceId AS traceID,
    SpanId AS spanID,
    ParentSpanId AS parentSpanID,
    ServiceName AS serviceName,
    SpanName AS operationName,
    toUnixTimestamp64Nano(Timestamp) / 1e6 AS startTime,
    Duration / 1e6 AS duration,
    arrayMap(key -> map('key', key, 'value', SpanAttributes[key]), mapKeys(SpanAttributes)) AS tags,
    arrayMap(key -> map('key', key, 'value', ResourceAttributes[key]), mapKeys(ResourceAttributes)) AS serviceTags,
    if(StatusCode = 'Error', 2, 0) AS statusCode,
    StatusMessage AS statusMessage,
    SpanKind AS kind
FROM otel_traces
WHERE TraceId = wanted AND Timestamp >= first_seen AND Timestamp <= last_seen
ORDER BY startTime
LIMIT 5000
"""
KEEP = "${__url_time_range}"
VIEW = "Set the Trace ID variable (or click one above) to see the trace."


def build() -> dict[str, Any]:
    """Return the traces dashboard."""
    rate = f"""
SELECT $__timeInterval(Timestamp) AS time, StatusCode, count() / $__interval_s AS value
FROM otel_traces
WHERE {WHERE}
GROUP BY time, StatusCode
ORDER BY time
"""
    duration = f"""
SELECT $__timeInterval(Timestamp) AS time,
    quantile(0.5)(Duration) / 1e6 AS p50,
    quantile(0.95)(Duration) / 1e6 AS p95,
    quantile(0.99)(Duration) / 1e6 AS p99
FROM otel_traces
WHERE {WHERE}
GROUP BY time
ORDER BY time
"""
    spans = f"""
SELECT Timestamp AS Time, TraceId AS `Trace ID`, ServiceName AS Service, SpanName AS Operation,
    SpanKind AS Kind, Duration / 1e6 AS `Duration (ms)`, StatusCode AS Status, StatusMessage AS Message
FROM otel_traces
WHERE {WHERE}
ORDER BY Timestamp DESC
LIMIT 200
"""
    operations = sql_variable(
        "operation",
        "Operation",
        f"""
SELECT DISTINCT SpanName
FROM otel_traces
WHERE $__timeFilter(Timestamp) AND {SCOPE}
ORDER BY SpanName
LIMIT 1000
""",
    )
    statuses = sql_variable(
        "status",
        "Status",
        "SELECT DISTINCT StatusCode FROM otel_traces WHERE $__timeFilter(Timestamp) ORDER BY StatusCode",
    )
    open_trace = model.link("Open trace ${__value.raw}", f"/d/{UID}/traces?var-trace_id=${{__value.raw}}&{KEEP}")
    trace_logs = model.link(
        "Logs of trace ${__value.raw}", f"/d/otelhouse-logs/logs?var-trace_id=${{__value.raw}}&{KEEP}"
    )
    items: list[Panel | dict[str, Any]] = [
        Panel("timeseries", "Spans per second by status", [sql_target(rate)], unit="reqps"),
        Panel("timeseries", "Span duration", [sql_target(duration)], unit="ms"),
        row("Search"),
        table(
            "Matching spans (newest 200)",
            spans,
            "Click a trace id to open it below, or to see its logs.",
            [model.column_unit("Duration (ms)", "ms"), model.column_links("Trace ID", open_trace, trace_logs)],
        ),
        row("Trace"),
        Panel("traces", "Trace ${trace_id}", [sql_target(TRACE, TRACES)], width=24, height=16, description=VIEW),
    ]
    variables = [
        *scope_variables("otel_traces"),
        operations,
        statuses,
        textbox("min_ms", "Min duration (ms)", "Only spans at least this long; empty for all."),
        textbox("trace_id", "Trace ID", "A trace id (32 hex characters) to show in the trace view."),
    ]
    return dashboard(UID, "Traces", "Span search and trace view over otelhouse's otel_traces.", variables, items)
