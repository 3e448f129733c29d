"""Service overview: RED (rate, errors, duration) per service and per operation, from server spans."""

from __future__ import annotations

from typing import Any

from grafana.boards.model import (
    SCOPE,
    Panel,
    column_links,
    column_unit,
    dashboard,
    link,
    row,
    scope_variables,
    sql_target,
    table,
)

UID = "otelhouse-services"
# spans that answer a request: the R, E and D of RED count these, not the calls a service makes
ENTRY = "SpanKind IN ('Server', 'Consumer')"
WHERE = f"$__timeFilter(Timestamp) AND {ENTRY} AND {SCOPE}"
RANGE_S = "greatest(dateDiff('second', $__fromTime, $__toTime), 1)"
RED = f"""
    count() AS Requests,
    count() / {RANGE_S} AS `Requests/s`,
    countIf(StatusCode = 'Error') / count() AS `Error rate`,
    quantile(0.5)(Duration) / 1e6 AS `p50 (ms)`,
    quantile(0.95)(Duration) / 1e6 AS `p95 (ms)`,
    quantile(0.99)(Duration) / 1e6 AS `p99 (ms)`"""
RED_UNITS = [
    column_unit("Requests/s", "reqps"),
    column_unit("Error rate", "percentunit"),
    *(column_unit(c, "ms") for c in ("p50 (ms)", "p95 (ms)", "p99 (ms)")),
]
KEEP = "${__url_time_range}&${environment:queryparam}"
TO_TRACES = link("Traces of ${__value.raw}", f"/d/otelhouse-traces/traces?var-service=${{__value.raw}}&{KEEP}")
TO_LOGS = link("Logs of ${__value.raw}", f"/d/otelhouse-logs/logs?var-service=${{__value.raw}}&{KEEP}")
TO_SERVICE = link("Only ${__value.raw}", f"/d/{UID}/service-overview?var-service=${{__value.raw}}&{KEEP}")


def _per_service(title: str, value: str, unit: str, description: str) -> Panel:
    sql = f"""
SELECT $__timeInterval(Timestamp) AS time, ServiceName, {value} AS value
FROM otel_traces
WHERE {WHERE}
GROUP BY time, ServiceName
ORDER BY time
"""
    return Panel("timeseries", title, [sql_target(sql)], width=8, unit=unit, description=description)


def build() -> dict[str, Any]:
    """Return the service overview dashboard."""
    services = f"""
SELECT ServiceName AS Service,{RED}
FROM otel_traces
WHERE {WHERE}
GROUP BY Service
ORDER BY Requests DESC
LIMIT 100
"""
    operations = f"""
SELECT ServiceName AS Service, SpanName AS Operation,{RED}
FROM otel_traces
WHERE {WHERE}
GROUP BY Service, Operation
ORDER BY Requests DESC
LIMIT 200
"""
    to_operation = link(
        "Traces of ${__data.fields.Service}: ${__value.raw}",
        "/d/otelhouse-traces/traces?var-service=${__data.fields.Service}&var-operation=${__value.raw}&" + KEEP,
    )
    from_metrics = f"""
SELECT $__timeInterval(TimeUnix) AS time, ServiceName, sum(Count) / $__interval_s AS value
FROM otel_metrics_histogram
WHERE $__timeFilter(TimeUnix) AND MetricName = 'http.server.request.duration' AND AggregationTemporality = 1
  AND {SCOPE}
GROUP BY time, ServiceName
ORDER BY time
"""
    items: list[Panel | dict[str, Any]] = [
        row("Services"),
        table(
            "Services",
            services,
            "RED per service over the whole range, from server and consumer spans. "
            "Click a service for its traces, its logs or this board for it alone.",
            [*RED_UNITS, column_links("Service", TO_SERVICE, TO_TRACES, TO_LOGS)],
            height=8,
        ),
        _per_service("Requests per second", "count() / $__interval_s", "reqps", "Server and consumer spans."),
        _per_service("Error rate", "countIf(StatusCode = 'Error') / count()", "percentunit", "Spans with status Error"),
        _per_service("p95 duration", "quantile(0.95)(Duration) / 1e6", "ms", "95th percentile span duration."),
        row("Operations"),
        table(
            "Operations",
            operations,
            "RED per service and operation. Click an operation for its traces.",
            [*RED_UNITS, column_links("Service", TO_TRACES, TO_LOGS), column_links("Operation", to_operation)],
        ),
        row("From metrics"),
        Panel(
            "timeseries",
            "HTTP requests per second (metrics, unsampled)",
            [sql_target(from_metrics)],
            width=24,
            unit="reqps",
            description="From the http.server.request.duration histogram (delta points): every request counts, "
            "even when traces are sampled.",
        ),
    ]
    return dashboard(
        UID,
        "Service overview",
        "Rate, errors and duration per service and operation, from otelhouse's otel_traces.",
        scope_variables("otel_traces"),
        items,
    )
