"""Count the write-ahead log's listed trace batches whose spans are already stored (run while the collector is down).

python -m tests.collector.crash.unreleased WAL_DIR CHDB_PATH

A batch listed in the checkpoint and already in ClickHouse means the collector died between an
insert and the release of its records: the window the replay under the same token must cover.
"""

import sys
from pathlib import Path

import clickhouse_connect
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

from collector.wal.segments import SignalLog


def main() -> None:
    log = SignalLog(Path(sys.argv[1]) / "traces", 1 << 30)
    batches = []
    for batch in log.state.batches:
        ids = []
        for _, record in log.read(batch.start, batch.end, 1 << 62)[0]:
            req = tpb.ExportTraceServiceRequest.FromString(record.payload.body)
            ids += [s.span_id.hex() for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]
        batches.append(ids)
    log.close()
    stored = 0
    if batches:
        client = clickhouse_connect.get_client(interface="chdb", path=sys.argv[2])
        for ids in batches:
            found = client.query(
                "SELECT count() FROM default.otel_traces WHERE SpanId IN {ids:Array(String)}", parameters={"ids": ids}
            ).result_rows[0][0]
            stored += found > 0
    print(len(batches), stored)


if __name__ == "__main__":
    main()
