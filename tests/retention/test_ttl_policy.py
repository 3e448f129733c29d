"""One source of truth decides when a row leaves hot storage: the retention policy. Table TTLs follow it
(none by default: only verified rolls remove rows), and the collector accepts backfill accordingly."""

from __future__ import annotations

from pathlib import Path

from collector.otlp.limits import NS_PER_DAY
from collector.otlp.model import Signal
from collector.receiver import limits_from
from otelhouse.config import load_settings
from storage import Store, schema_options
from tests.conftest import make_settings

NOW = 1_800_000_000 * 10**9


def table_ttl(store: Store, table: str) -> str:
    engine = store.call(
        lambda c: c.query(
            "SELECT engine_full FROM system.tables WHERE database = {d:String} AND name = {t:String}",
            parameters={"d": store.database, "t": table},
        )
    ).result_rows[0][0]
    return engine.split(" TTL ", 1)[1].split(" SETTINGS ")[0] if " TTL " in engine else ""


def migrated(engine: Store, chdb_path: Path, database: str, **env: str) -> Store:
    settings = make_settings(chdb_path, database, **env)
    store = Store(engine.target, schema_options(settings, database))
    store.migrate()
    return store


def test_by_default_hot_tables_have_no_ttl_and_backfill_is_accepted(engine, chdb_path, database) -> None:
    store = migrated(engine, chdb_path, database)
    for table in ("otel_logs", "otel_traces", "otel_metrics_sum", "otel_traces_trace_id_ts", "otel_logs_restored"):
        assert table_ttl(store, table) == "", table
    assert table_ttl(store, "otelhouse_metrics_rollup_hourly") == "toDateTime(Bucket) + toIntervalDay(396)"
    limits = limits_from(load_settings({}))
    low, _ = limits.window(Signal.LOGS, NOW)
    assert low <= NOW - 400 * NS_PER_DAY  # a year-old log record is kept; the next roll archives it


def test_the_ttl_follows_the_policy_when_set(engine, chdb_path, database) -> None:
    store = migrated(engine, chdb_path, database, OTELHOUSE_RETENTION_TTL_MARGIN_DAYS="10")
    assert table_ttl(store, "otel_logs") == "toDateTime(Timestamp) + toIntervalDay(24)"  # 14 hot + 10
    assert table_ttl(store, "otel_traces") == "toDateTime(Timestamp) + toIntervalDay(17)"
    # retention off: rows leave at the hot days, unarchived; the same migration reconciles the TTL
    store = migrated(engine, chdb_path, database, OTELHOUSE_RETENTION_ENABLED="false")
    assert table_ttl(store, "otel_logs") == "toDateTime(Timestamp) + toIntervalDay(14)"
    assert table_ttl(store, "otel_metrics_gauge") == "toDateTime(TimeUnix) + toIntervalDay(30)"
    limits = limits_from(load_settings({"OTELHOUSE_RETENTION_ENABLED": "false"}))
    assert limits.window(Signal.TRACES, NOW)[0] == NOW - 7 * NS_PER_DAY
