"""Print `signal id count` for every stored span, log record and crash-test point of a chDB data folder.

python -m tests.collector.crash.count_ids CHDB_PATH   (run in its own process: chDB opens one folder)
"""

import sys

import clickhouse_connect

QUERIES = {
    "traces": "SELECT SpanId, count() FROM default.otel_traces GROUP BY SpanId",
    "logs": "SELECT SpanId, count() FROM default.otel_logs GROUP BY SpanId",
    "metrics": "SELECT Attributes['crash.id'], count() FROM default.otel_metrics_gauge "
    "WHERE MetricName = 'crash.gauge' GROUP BY 1",
}

client = clickhouse_connect.get_client(interface="chdb", path=sys.argv[1])
for signal, sql in QUERIES.items():
    for item_id, count in client.query(sql).result_rows:
        print(signal, item_id, count)
