"""Print `span_id count` for every stored span, reading a chDB data folder (run in its own process).

python -m tests.collector.crash.count_ids CHDB_PATH
"""

import sys

import clickhouse_connect

client = clickhouse_connect.get_client(interface="chdb", path=sys.argv[1])
for span_id, count in client.query("SELECT SpanId, count() FROM default.otel_traces GROUP BY SpanId").result_rows:
    print(span_id, count)
