"""The schema on the real embedded engine: reference columns and types, idempotent migrations, TTLs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage import Store
from storage.migrate import reconcile_ttl
from storage.schema import MIGRATIONS, SchemaOptions, render

MAP = "Map(LowCardinality(String), String)"
LC = "LowCardinality(String)"
DT = "DateTime64(9)"

METRIC_COMMON = [
    ("ResourceAttributes", MAP),
    ("ResourceSchemaUrl", "String"),
    ("ScopeName", "String"),
    ("ScopeVersion", "String"),
    ("ScopeAttributes", MAP),
    ("ScopeDroppedAttrCount", "UInt32"),
    ("ScopeSchemaUrl", "String"),
    ("ServiceName", LC),
    ("MetricName", LC),
    ("MetricDescription", "String"),
    ("MetricUnit", "String"),
    ("Attributes", MAP),
    ("StartTimeUnix", DT),
    ("TimeUnix", DT),
]
EXEMPLARS = [
    ("Exemplars.FilteredAttributes", f"Array({MAP})"),
    ("Exemplars.TimeUnix", f"Array({DT})"),
    ("Exemplars.Value", "Array(Float64)"),
    ("Exemplars.SpanId", "Array(String)"),
    ("Exemplars.TraceId", "Array(String)"),
]

# From shared/schema-reference.md: the OpenTelemetry Collector ClickHouse exporter's default schema.
REFERENCE: dict[str, list[tuple[str, str]]] = {
    "otel_traces": [
        ("Timestamp", DT),
        ("TraceId", "String"),
        ("SpanId", "String"),
        ("ParentSpanId", "String"),
        ("TraceState", "String"),
        ("SpanName", LC),
        ("SpanKind", LC),
        ("ServiceName", LC),
        ("ResourceAttributes", MAP),
        ("ScopeName", "String"),
        ("ScopeVersion", "String"),
        ("SpanAttributes", MAP),
        ("Duration", "UInt64"),
        ("StatusCode", LC),
        ("StatusMessage", "String"),
        ("Events.Timestamp", f"Array({DT})"),
        ("Events.Name", f"Array({LC})"),
        ("Events.Attributes", f"Array({MAP})"),
        ("Links.TraceId", "Array(String)"),
        ("Links.SpanId", "Array(String)"),
        ("Links.TraceState", "Array(String)"),
        ("Links.Attributes", f"Array({MAP})"),
    ],
    "otel_traces_trace_id_ts": [
        ("TraceId", "String"),
        ("Start", "SimpleAggregateFunction(min, DateTime)"),
        ("End", "SimpleAggregateFunction(max, DateTime)"),
    ],
    "otel_logs": [
        ("Timestamp", DT),
        ("TraceId", "String"),
        ("SpanId", "String"),
        ("TraceFlags", "UInt8"),
        ("SeverityText", LC),
        ("SeverityNumber", "UInt8"),
        ("ServiceName", LC),
        ("Body", "String"),
        ("ResourceSchemaUrl", LC),
        ("ResourceAttributes", MAP),
        ("ScopeSchemaUrl", LC),
        ("ScopeName", "String"),
        ("ScopeVersion", LC),
        ("ScopeAttributes", MAP),
        ("LogAttributes", MAP),
        ("EventName", "String"),
    ],
    "otel_metrics_gauge": [*METRIC_COMMON, ("Value", "Float64"), ("Flags", "UInt32"), *EXEMPLARS],
    "otel_metrics_sum": [
        *METRIC_COMMON,
        ("Value", "Float64"),
        ("Flags", "UInt32"),
        *EXEMPLARS,
        ("AggregationTemporality", "Int32"),
        ("IsMonotonic", "Bool"),
    ],
    "otel_metrics_histogram": [
        *METRIC_COMMON,
        ("Count", "UInt64"),
        ("Sum", "Float64"),
        ("BucketCounts", "Array(UInt64)"),
        ("ExplicitBounds", "Array(Float64)"),
        *EXEMPLARS,
        ("Flags", "UInt32"),
        ("Min", "Float64"),
        ("Max", "Float64"),
        ("AggregationTemporality", "Int32"),
    ],
    "otel_metrics_exponential_histogram": [
        *METRIC_COMMON,
        ("Count", "UInt64"),
        ("Sum", "Float64"),
        ("Scale", "Int32"),
        ("ZeroCount", "UInt64"),
        ("PositiveOffset", "Int32"),
        ("PositiveBucketCounts", "Array(UInt64)"),
        ("NegativeOffset", "Int32"),
        ("NegativeBucketCounts", "Array(UInt64)"),
        *EXEMPLARS,
        ("Flags", "UInt32"),
        ("Min", "Float64"),
        ("Max", "Float64"),
        ("AggregationTemporality", "Int32"),
    ],
    "otel_metrics_summary": [
        *METRIC_COMMON,
        ("Count", "UInt64"),
        ("Sum", "Float64"),
        ("ValueAtQuantiles.Quantile", "Array(Float64)"),
        ("ValueAtQuantiles.Value", "Array(Float64)"),
        ("Flags", "UInt32"),
    ],
}


def columns(store: Store, table: str) -> list[tuple[str, str]]:
    return store.call(
        lambda c: (
            c.query(
                "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} "
                "ORDER BY position",
                parameters={"db": store.database, "t": table},
            ).result_rows
        )
    )


@pytest.mark.parametrize("table", sorted(REFERENCE))
def test_table_has_reference_columns_and_types(store: Store, table: str) -> None:
    assert [tuple(r) for r in columns(store, table)] == REFERENCE[table]


def test_tables_partition_by_day_and_order_as_upstream(store: Store) -> None:
    rows = dict(
        store.call(
            lambda c: (
                c.query(
                    "SELECT name, partition_key FROM system.tables WHERE database = {db:String}",
                    parameters={"db": store.database},
                ).result_rows
            )
        )
    )
    assert rows["otel_traces"] == "toDate(Timestamp)"
    assert rows["otel_logs"] == "toDate(Timestamp)"
    for kind in ("gauge", "sum", "histogram", "exponential_histogram", "summary"):
        assert rows[f"otel_metrics_{kind}"] == "toDate(TimeUnix)"


def test_trace_id_lookup_view_fills_time_range(store: Store) -> None:
    db = store.database
    store.call(
        lambda c: c.command(
            f"INSERT INTO {db}.otel_traces (Timestamp, TraceId, SpanId, ServiceName) VALUES "
            "('2026-11-25 10:00:00.5', 'aa', '01', 's'), ('2026-11-25 10:00:07.2', 'aa', '02', 's'), "
            "('2026-11-25 10:00:01', '', '03', 's')"
        )
    )
    rows = store.call(
        lambda c: (
            c.query(
                f"SELECT TraceId, min(Start), max(End) FROM {db}.otel_traces_trace_id_ts GROUP BY TraceId"
            ).result_rows
        )
    )
    assert [(r[0], r[1].isoformat(), r[2].isoformat()) for r in rows] == [
        ("aa", "2026-11-25T10:00:00", "2026-11-25T10:00:07")
    ]


def test_migrations_are_recorded_and_idempotent(store: Store) -> None:
    db = store.database

    def snapshot() -> list[tuple]:
        return store.call(
            lambda c: (
                c.query(
                    "SELECT name, metadata_modification_time, create_table_query FROM system.tables "
                    "WHERE database = {db:String} ORDER BY name",
                    parameters={"db": db},
                ).result_rows
            )
        )

    before = snapshot()
    assert store.migrate() == []
    assert store.pending() == []
    assert snapshot() == before
    recorded = store.call(lambda c: c.query(f"SELECT name FROM {db}.otelhouse_migrations ORDER BY name").result_rows)
    assert [r[0] for r in recorded] == [m.name for m in MIGRATIONS]


def test_ttl_follows_configuration(store: Store) -> None:
    db = store.database

    def ttl(table: str) -> str:
        return store.call(
            lambda c: c.query(
                "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}",
                parameters={"db": db, "t": table},
            ).result_rows[0][0]
        )

    # the default retention policy: only verified rolls remove hot rows (docs/retention.md)
    assert " TTL " not in ttl("otel_traces") and " TTL " not in ttl("otel_logs")
    assert "TTL toDateTime(Bucket) + toIntervalDay(396)" in ttl("otelhouse_metrics_rollup_hourly")
    opts = SchemaOptions(database=db, ttl_days={"traces": 7, "logs": 0, "metrics": 0, "metrics_rollups": 396})
    changed = store.call(lambda c: reconcile_ttl(c, opts))
    # the edge and services rollups and the record of rolled minutes are kept as long as the traces
    rollups = {"otelhouse_service_edges", "otelhouse_service_edges_rolled", "otelhouse_service_red"}
    traced = {"otel_traces", "otel_traces_trace_id_ts", *rollups}
    assert set(changed) == traced
    assert "toIntervalDay(7)" in ttl("otelhouse_service_edges")
    assert "toIntervalDay(7)" in ttl("otel_traces")
    assert " TTL " not in ttl("otel_logs")
    assert store.call(lambda c: reconcile_ttl(c, opts)) == []


SNAPSHOT = Path(__file__).parent / "snapshots" / "cluster_ddl.sql"


def test_cluster_ddl_matches_snapshot() -> None:
    """Cluster DDL cannot run here (no cluster); its text is pinned and checked for the cluster parts."""
    opts = SchemaOptions(database="otel", cluster="otel_cluster", ttl_days={"traces": 30, "logs": 90, "metrics": 90})
    text = "\n\n".join(f"-- {m.name}\n" + ";\n".join(render(m, opts)) + ";" for m in MIGRATIONS) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text()
    assert "CREATE TABLE IF NOT EXISTS otel.otel_traces_local ON CLUSTER otel_cluster" in text
    assert "ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_traces_local', '{replica}')" in text
    assert (
        "CREATE TABLE IF NOT EXISTS otel.otel_traces ON CLUSTER otel_cluster AS otel.otel_traces_local "
        "ENGINE = Distributed(otel_cluster, otel, otel_traces_local, cityHash64(TraceId))" in text
    )
    assert "ReplicatedAggregatingMergeTree" in text
    assert "TO otel.otel_traces_trace_id_ts_local" in text and "FROM otel.otel_traces_local" in text


def test_cluster_ddl_is_valid_sql_for_the_engine(engine: Store) -> None:
    """Every cluster statement parses (EXPLAIN AST) even though no cluster runs here."""
    opts = SchemaOptions(database="otel", cluster="otel_cluster")
    for m in MIGRATIONS:
        for statement in render(m, opts):
            engine.call(lambda c, s=statement: c.query(f"EXPLAIN AST {s}"))
