"""remote-write decode paths compared on the same requests and engine, in one run.

- python_map: snappy + WriteRequest parse + the mapping to OTLP bytes (collector/prometheus/remote_write.py);
- otlp_insert: the flat OTLP insert of those bytes (the Python path's storage half);
- direct_prepare: snappy + parse + the per-series walk of the fast path (collector/prometheus/direct.py);
- direct_insert: the fast path's insert (route PROMETHEUS: ClickHouse decodes the WriteRequests into
  the OTel metric tables, same rows as the Python path);
- narrow_insert: ClickHouse decoding into a narrow gauge-shaped table (name, label map, time, value) with
  no OTel columns: what a narrower layout would cost (docs/decisions.md).
Then the storage half alone, per layout: the fast path's rows (in a Memory table) inserted into
otel_metrics_sum as it is, the same without its four bloom-filter skip indexes, a narrow table with a
label map, and samples as (series id, time, value) (docs/decisions.md).

    python bench/remote_write_decode.py --requests 20
"""

from __future__ import annotations

import argparse
import shutil
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
from collector.prometheus.direct import prepare  # noqa: E402
from collector.prometheus.remote_write import MetadataCache, read_body  # noqa: E402
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
    work = tempfile.mkdtemp(prefix="otelhouse-rw-decode-")
    try:
        run(clickhouse_connect.get_client(interface="chdb", path=work + "/ch"), args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(client, args) -> None:
    """Measure every path on `client`'s engine (see the module doc) and print the rates."""
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

    started = time.perf_counter()
    prepared = [prepare(read_body(b, 1 << 26), cache, DEFAULT_LIMITS) for b in bodies]
    direct_prepare = time.perf_counter() - started
    direct_payloads = [Payload(Signal.METRICS, Route.PROMETHEUS, d.body, d.samples) for d in prepared if d]
    client.command("CREATE DATABASE p")
    popts = SchemaOptions(database="p")
    apply_migrations(client, popts)
    started = time.perf_counter()
    for i in range(0, len(direct_payloads), 24):  # the collector's batches (collector.batch_items 120,000)
        write_payloads(client, popts, direct_payloads[i : i + 24], f"t{i}", 1)
    direct_insert = time.perf_counter() - started
    direct_stored = client.query("SELECT count() FROM p.otel_metrics_sum").result_rows[0][0]
    direct_stored += client.query("SELECT count() FROM p.otel_metrics_gauge").result_rows[0][0]

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
    narrow = time.perf_counter() - started
    stored = client.query("SELECT count() FROM d.rw_points").result_rows[0][0]
    python_total = python_map + otlp_insert
    direct_total = direct_prepare + direct_insert
    print(f"{samples:,} samples; fast path stored {direct_stored:,}; narrow table stored {stored:,}")
    print(f"  python_map     {samples / python_map:>12,.0f} samples/s")
    print(f"  otlp_insert    {samples / otlp_insert:>12,.0f} samples/s")
    print(f"  python total   {samples / python_total:>12,.0f} samples/s (map + insert)")
    print(f"  direct_prepare {samples / direct_prepare:>12,.0f} samples/s")
    print(f"  direct_insert  {samples / direct_insert:>12,.0f} samples/s")
    print(f"  direct total   {samples / direct_total:>12,.0f} samples/s ({python_total / direct_total:.2f}x python)")
    print(f"  narrow_insert  {samples / narrow:>12,.0f} samples/s (one insert, no OTel columns)")
    print("storage half alone, per layout:")
    layout_costs(client)


LAYOUTS = [
    ("otel_metrics_sum as it is", "CREATE TABLE p.l1 AS p.otel_metrics_sum", "SELECT * FROM p.mem"),
    (
        "  without its 4 skip indexes",
        "CREATE TABLE p.l2 AS p.otel_metrics_sum",
        "SELECT * FROM p.mem",
    ),
    (
        "name, label map, time, value",
        "CREATE TABLE p.l3 (MetricName LowCardinality(String), Attributes Map(LowCardinality(String), String), "
        "TimeUnix DateTime64(9), Value Float64) ENGINE = MergeTree ORDER BY (MetricName, TimeUnix)",
        "SELECT MetricName, Attributes, TimeUnix, Value FROM p.mem",
    ),
    (
        "series id, time, value",
        "CREATE TABLE p.l4 (SeriesId UInt64, TimeUnix DateTime64(3) CODEC(Delta, ZSTD(1)), "
        "Value Float64 CODEC(Gorilla, ZSTD(1))) ENGINE = MergeTree ORDER BY (SeriesId, TimeUnix)",
        "SELECT cityHash64(ServiceName, MetricName, Attributes, ResourceAttributes), TimeUnix, Value FROM p.mem",
    ),
]


def layout_costs(client) -> None:
    """Time the storage half alone: the fast path's sum rows inserted into each layout."""
    client.command("CREATE TABLE p.mem ENGINE = Memory AS SELECT * FROM p.otel_metrics_sum")
    rows = client.query("SELECT count() FROM p.mem").result_rows[0][0]
    for i, (label, ddl, select) in enumerate(LAYOUTS, start=1):
        client.command(ddl)
        if "without" in label:
            for index in ("idx_res_attr_key", "idx_res_attr_value", "idx_attr_key", "idx_attr_value"):
                client.command(f"ALTER TABLE p.l{i} DROP INDEX {index}")
        started = time.perf_counter()
        client.command(f"INSERT INTO p.l{i} {select}", settings={"max_threads": 1})
        print(f"  {label:30} {rows / (time.perf_counter() - started):>12,.0f} rows/s (insert of {rows:,} rows)")


if __name__ == "__main__":
    main()
