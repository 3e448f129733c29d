"""Should ClickHouse decode remote-write protobuf itself? Python mapping + OTLP native insert vs a direct decode.

Measures, on the same requests and engine in one run:
- python_map: snappy + WriteRequest parse + the mapping to OTLP bytes (collector/prometheus/remote_write.py);
- otlp_insert: the native OTLP insert of those bytes (what the collector does after mapping);
- direct_insert: ClickHouse parsing the WriteRequest itself (ProtobufSingle with prompb's schema into a
  Null table, a materialized view exploding series x samples into a gauge-shaped MergeTree).

    python bench/remote_write_decode.py --requests 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import clickhouse_connect  # noqa: E402
import cramjam  # noqa: E402

from bench.remote_write import request_body, series_labels  # noqa: E402
from collector.otlp.decode import DEFAULT_LIMITS  # noqa: E402
from collector.otlp.model import Payload, Route, Signal  # noqa: E402
from collector.prometheus.remote_write import MetadataCache  # noqa: E402
from collector.prometheus.remote_write_http import convert  # noqa: E402
from storage.migrate import apply_migrations  # noqa: E402
from storage.schema import SchemaOptions  # noqa: E402
from storage.writer import write_payloads  # noqa: E402

PROMPB = """
syntax = "proto3";
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message WriteRequest { repeated TimeSeries timeseries = 1; }
"""
DIRECT_DDL = [
    "CREATE TABLE d.rw_stage (timeseries Nested(labels Array(Tuple(name String, value String)), "
    "samples Array(Tuple(value Float64, timestamp Int64)))) ENGINE = Null",
    "CREATE TABLE d.rw_points (MetricName LowCardinality(String), Attributes Map(LowCardinality(String), String), "
    "TimeUnix DateTime64(9), Value Float64) ENGINE = MergeTree ORDER BY (MetricName, TimeUnix)",
    "CREATE MATERIALIZED VIEW d.rw_mv TO d.rw_points AS SELECT "
    "arrayFirst(l -> l.1 = '__name__', ts.1).2 AS MetricName, "
    "mapFromArrays(arrayMap(l -> l.1, arrayFilter(l -> l.1 != '__name__', ts.1)), "
    "arrayMap(l -> l.2, arrayFilter(l -> l.1 != '__name__', ts.1))) AS Attributes, "
    "fromUnixTimestamp64Milli(s.2) AS TimeUnix, s.1 AS Value "
    "FROM d.rw_stage ARRAY JOIN arrayZip(timeseries.labels, timeseries.samples) AS ts ARRAY JOIN ts.2 AS s",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20, help="requests of 500 series x 10 samples (default 20)")
    args = parser.parse_args()
    client = clickhouse_connect.get_client(interface="chdb", path=tempfile.mkdtemp() + "/ch")
    client.command("CREATE DATABASE o")
    client.command("CREATE DATABASE d")
    opts = SchemaOptions(database="o")
    apply_migrations(client, opts)
    for ddl in DIRECT_DDL:
        client.command(ddl)
    base = int(time.time() * 1000) - 600_000
    bodies = [request_body(series_labels(0, c % 4), c // 4, base) for c in range(args.requests)]
    samples = args.requests * 500 * 10
    cache = MetadataCache()

    started = time.perf_counter()
    converted = [convert(b, 1 << 26, cache, DEFAULT_LIMITS) for b in bodies]
    python_map = time.perf_counter() - started

    payloads = [Payload(Signal.METRICS, Route.FLAT, c.body, c.items) for c in converted]
    started = time.perf_counter()
    write_payloads(client, opts, payloads, "", 1)
    otlp_insert = time.perf_counter() - started

    raw = b"".join(bytes(cramjam.snappy.decompress_raw(b)) for b in bodies)  # requests concatenated merge
    started = time.perf_counter()
    client.raw_insert(
        "d.rw_stage",
        insert_block=raw,
        fmt="ProtobufSingle",
        settings={
            "format_schema": PROMPB,
            "format_schema_source": "string",
            "format_schema_message_name": "WriteRequest",
        },
    )
    direct = time.perf_counter() - started
    stored = client.query("SELECT count() FROM d.rw_points").result_rows[0][0]
    print(f"{samples:,} samples; direct decode stored {stored:,}")
    print(f"  python_map     {samples / python_map:>12,.0f} samples/s")
    print(f"  otlp_insert    {samples / otlp_insert:>12,.0f} samples/s")
    print(f"  python total   {samples / (python_map + otlp_insert):>12,.0f} samples/s (map + insert)")
    print(f"  direct_insert  {samples / direct:>12,.0f} samples/s ({(python_map + otlp_insert) / direct:.2f}x)")


if __name__ == "__main__":
    main()
