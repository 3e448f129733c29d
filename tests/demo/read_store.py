"""Print what the demo left in a chDB data folder as JSON (run in its own process: chDB opens one path each).

python -m tests.demo.read_store CHDB_PATH
"""

import json
import sys

import clickhouse_connect

QUERIES = {
    "trace_services": "SELECT ServiceName, count() FROM otel_traces "
    "WHERE ResourceAttributes['deployment.environment'] = 'demo' GROUP BY ServiceName",
    "log_services": "SELECT ServiceName, count() FROM otel_logs WHERE TraceId != '' GROUP BY ServiceName",
    # the live demo's rows carry the SDK's telemetry.sdk.* resource attributes; the backfill's do not
    "sdk_trace_services": "SELECT ServiceName, count() FROM otel_traces "
    "WHERE ResourceAttributes['telemetry.sdk.name'] = 'opentelemetry' GROUP BY ServiceName",
    "checkout_logs": "SELECT TraceId, Body FROM otel_logs WHERE ServiceName = 'checkout' AND TraceId != '' "
    "AND ResourceAttributes['telemetry.sdk.name'] = 'opentelemetry' ORDER BY Timestamp DESC LIMIT 5",
    "sdk_business": "SELECT count() FROM otel_metrics_sum WHERE MetricName = 'shop.orders' "
    "AND ResourceAttributes['telemetry.sdk.name'] = 'opentelemetry'",
    "business": "SELECT MetricName, count(), sum(Value), groupUniqArray(Attributes['currency']) FROM otel_metrics_sum "
    "WHERE MetricName LIKE 'shop.%' GROUP BY MetricName",
    "histograms": "SELECT ServiceName, count(), sum(Count) FROM otel_metrics_histogram "
    "WHERE MetricName = 'http.server.request.duration' GROUP BY ServiceName",
    "gauges": "SELECT MetricName, count() FROM otel_metrics_gauge GROUP BY MetricName",
    # history: how far back each signal reaches, in hours before the newest row
    "span_hours": "SELECT dateDiff('second', min(Timestamp), max(Timestamp)) / 3600 FROM otel_traces",
    "point_hours": "SELECT dateDiff('second', min(TimeUnix), max(TimeUnix)) / 3600 FROM otel_metrics_sum "
    "WHERE MetricName = 'shop.orders'",
    "parents_across_services": "SELECT count() FROM otel_traces c INNER JOIN otel_traces p "
    "ON c.TraceId = p.TraceId AND c.ParentSpanId = p.SpanId WHERE c.ServiceName != p.ServiceName",
}

# a trace looked up as Grafana does: the trace-id table gives its time range, then the spans within it
TRACE = (
    "WITH (SELECT (min(Start), max(End) + 1) FROM otel_traces_trace_id_ts WHERE TraceId = {id:String}) AS span "
    "SELECT count(), groupUniqArray(ServiceName) FROM otel_traces "
    "WHERE TraceId = {id:String} AND Timestamp >= span.1 AND Timestamp <= span.2"
)

client = clickhouse_connect.get_client(interface="chdb", path=sys.argv[1])
rows = {name: client.query(sql).result_rows for name, sql in QUERIES.items()}
rows["linked"] = [
    (trace_id, body, *client.query(TRACE, parameters={"id": trace_id}).result_rows[0])
    for trace_id, body in rows["checkout_logs"]
]
print(json.dumps(rows, default=str))
