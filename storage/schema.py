"""The schema as ordered, named migrations, rendered for one server or a cluster.

Each migration is one .sql file under storage/sql/ creating one object. Table names in the SQL are
template variables (`${otel_traces}`) so the same text renders to `db.otel_traces` on a single
server and to `db.otel_traces_local` (ReplicatedMergeTree) behind a Distributed `db.otel_traces`
on a cluster.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from importlib import resources
from string import Template

SIGNALS = ("traces", "logs", "metrics")
MIGRATIONS_TABLE = "otelhouse_migrations"


@dataclass(frozen=True)
class Migration:
    """One schema object: a table (with its TTL column) or a materialized view."""

    name: str
    kind: str  # "table", "view", or "staging" (a Null-engine table that ClickHouse decodes OTLP into)
    obj: str  # name of the object it creates
    engine: str = "MergeTree"
    signal: str = ""  # whose TTL applies
    ttl_column: str = ""
    shard_key: str = "rand()"
    source: str = ""  # the .sql file rendered, when it is not `name` (a variant of another migration)
    variant: str = ""  # "flat": the fast path for requests whose values are all scalars (VARIANTS)
    table_of: str = ""  # the table whose .sql this renders under its own name (a rolling or restore twin)


# What a variant changes in the rendering. The flat fast path declares every OTLP AnyValue as a scalar
# (no arrays or kvlists), which makes ClickHouse analyse its views' queries 3-4x faster on each insert;
# the collector routes a request there only when no value in it is an array or a kvlist.
FLAT_SUFFIX = "_flat"  # the flat variant's objects are named like the nested ones, plus this
# The prom variant: remote-write's points table and the two views it needs (gauge and sum), so its
# inserts skip the analysis of three views that would receive nothing.
PROM_SUFFIX = "_prom"
VARIANTS: dict[str, dict[str, str]] = {
    "": {"flat": "", "points": ""},
    "flat": {"flat": FLAT_SUFFIX, "points": "", "otlp_anyvalue": "${otlp_scalar}", "otlp_text": "${otlp_text_flat}"},
    "prom": {"flat": "", "points": PROM_SUFFIX},
}


def _table(name: str, obj: str, signal: str, ttl_column: str, **kw: str) -> Migration:
    return Migration(name=name, kind="table", obj=obj, signal=signal, ttl_column=ttl_column, **kw)


METRIC_KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")
# On a cluster the collector's rows reach the shards through Distributed tables. Their sharding keys
# are functions of the rows, never rand(): a replay of an insert after a partial failure must send
# each row to the shard it went to the first time, where the insert's token recognises it (a replay
# split differently would be dropped as a duplicate on one shard and stored twice on another).
LOGS_SHARD_KEY = "cityHash64(ServiceName, Timestamp)"
METRICS_SHARD_KEY = "cityHash64(ServiceName, MetricName, TimeUnix)"

MIGRATIONS: tuple[Migration, ...] = (
    _table("0001_otel_traces", "otel_traces", "traces", "Timestamp", shard_key="cityHash64(TraceId)"),
    _table(
        "0002_otel_traces_trace_id_ts",
        "otel_traces_trace_id_ts",
        "traces",
        "Start",
        engine="AggregatingMergeTree",
        shard_key="cityHash64(TraceId)",
    ),
    Migration(name="0003_otel_traces_trace_id_ts_mv", kind="view", obj="otel_traces_trace_id_ts_mv"),
    _table("0004_otel_logs", "otel_logs", "logs", "Timestamp", shard_key=LOGS_SHARD_KEY),
    *(
        _table(
            f"{n:04d}_otel_metrics_{kind}", f"otel_metrics_{kind}", "metrics", "TimeUnix", shard_key=METRICS_SHARD_KEY
        )
        for n, kind in enumerate(METRIC_KINDS, start=5)
    ),
    # the fast path: ClickHouse decodes OTLP protobuf into Null tables; views render the rows
    Migration(name="0010_otlp_traces_staging", kind="staging", obj="otlp_traces_staging", engine="Null"),
    Migration(name="0011_otlp_traces_mv", kind="view", obj="otlp_traces_mv"),
    Migration(name="0012_otlp_logs_staging", kind="staging", obj="otlp_logs_staging", engine="Null"),
    Migration(name="0013_otlp_logs_mv", kind="view", obj="otlp_logs_mv"),
    Migration(name="0014_otlp_metrics_staging", kind="staging", obj="otlp_metrics_staging", engine="Null"),
    # metrics render once into a flat Null table (one row per data point, every kind), then five
    # light views split it by kind: the costly analysis of the OTLP types and maps happens once
    Migration(name="0015_otlp_metrics_points", kind="staging", obj="otlp_metrics_points", engine="Null"),
    Migration(name="0016_otlp_metrics_points_mv", kind="view", obj="otlp_metrics_points_mv"),
    *(
        Migration(name=f"{n:04d}_otlp_metrics_{kind}_mv", kind="view", obj=f"otlp_metrics_{kind}_mv")
        for n, kind in enumerate(METRIC_KINDS, start=17)
    ),
)
_FLAT_OF = (
    "0010_otlp_traces_staging",
    "0011_otlp_traces_mv",
    "0012_otlp_logs_staging",
    "0013_otlp_logs_mv",
    "0014_otlp_metrics_staging",
    "0016_otlp_metrics_points_mv",
)
MIGRATIONS += tuple(
    replace(m, name=f"{n:04d}_{m.obj}{FLAT_SUFFIX}", obj=f"{m.obj}{FLAT_SUFFIX}", source=m.name, variant="flat")
    for n, m in enumerate((m for m in MIGRATIONS if m.name in _FLAT_OF), start=len(MIGRATIONS) + 1)
)


def _twin(n: int, table: str, suffix: str) -> Migration:
    """A table like `table` under another name, without TTL: retention's rolling and restore tables."""
    source = next(m for m in MIGRATIONS if m.obj == table)
    return Migration(
        name=f"{n:04d}_{table}{suffix}", kind="table", obj=f"{table}{suffix}", source=source.name, table_of=table
    )


# Retention (docs/retention.md): the archive manifests; a rolling twin per hot table that a roll moves
# partitions into (so rows arriving meanwhile stay hot); a restore table without TTL; a table the log
# explorer reads that merges hot, rolling and restored logs; hourly and daily metric rollups.
HOT_TABLES = tuple(m.obj for m in MIGRATIONS if m.ttl_column and m.obj != "otel_traces_trace_id_ts")
ROLLING_SUFFIX = "_rolling"
_N = len(MIGRATIONS) + 1
MIGRATIONS += (
    Migration(name=f"{_N:04d}_otelhouse_archives", kind="table", obj="otelhouse_archives"),
    *(_twin(n, t, ROLLING_SUFFIX) for n, t in enumerate(HOT_TABLES, start=_N + 1)),
    _twin(_N + 1 + len(HOT_TABLES), "otel_logs", "_restored"),
    Migration(name=f"{_N + 2 + len(HOT_TABLES):04d}_otel_logs_all", kind="view", obj="otel_logs_all"),
    _table(
        f"{_N + 3 + len(HOT_TABLES):04d}_otelhouse_metrics_rollup_hourly",
        "otelhouse_metrics_rollup_hourly",
        "metrics_rollups",
        "Bucket",
    ),
)
MIGRATIONS += (
    replace(
        MIGRATIONS[-1],
        name=f"{len(MIGRATIONS) + 1:04d}_otelhouse_metrics_rollup_daily",
        obj="otelhouse_metrics_rollup_daily",
        source=MIGRATIONS[-1].name,
        table_of="otelhouse_metrics_rollup_hourly",
    ),
)

# the remote-write fast path: ClickHouse decodes the WriteRequest (storage/proto/prompb.proto) into a
# Null table whose view renders the points remote_write.to_otlp would into a points table of its own,
# split into the gauge and sum tables by the OTLP views rendered under the prom variant
_N = len(MIGRATIONS) + 1
MIGRATIONS += (
    Migration(name=f"{_N:04d}_prom_write_staging", kind="staging", obj="prom_write_staging", engine="Null"),
    *(
        replace(m, name=f"{n:04d}_{m.obj}{PROM_SUFFIX}", obj=f"{m.obj}{PROM_SUFFIX}", source=m.name, variant="prom")
        for n, m in enumerate(
            (m for m in MIGRATIONS if m.obj in ("otlp_metrics_points", "otlp_metrics_gauge_mv", "otlp_metrics_sum_mv")),
            start=_N + 1,
        )
    ),
    Migration(name=f"{_N + 4:04d}_prom_write_mv", kind="view", obj="prom_write_mv"),
)

# the service map's per-minute edges, rolled by a job from the traces (storage/queries/edges.py), and
# the minutes it has rolled; kept as long as the traces are. Rows of a minute rolled again replace
# the old ones; every version of a row goes to one shard, where FINAL merges them.
_N = len(MIGRATIONS) + 1
MIGRATIONS += (
    _table(
        f"{_N:04d}_otelhouse_service_edges",
        "otelhouse_service_edges",
        "traces",
        "Minute",
        engine="ReplacingMergeTree",
        shard_key="cityHash64(Minute, Caller, Callee)",
    ),
    _table(
        f"{_N + 1:04d}_otelhouse_service_edges_rolled",
        "otelhouse_service_edges_rolled",
        "traces",
        "Minute",
        engine="ReplacingMergeTree",
        shard_key="cityHash64(Minute)",
    ),
)

# the services list over long windows (storage/queries/red.py): entry spans per service and ten-minute
# slot with a duration histogram, rolled by the same job as the edges (which marks the minutes)
MIGRATIONS += (
    _table(
        f"{len(MIGRATIONS) + 1:04d}_otelhouse_service_red",
        "otelhouse_service_red",
        "traces",
        "Slot",
        engine="ReplacingMergeTree",
        shard_key="cityHash64(ServiceName, Slot)",
    ),
)

# every table a migration creates, and the OpenTelemetry ones among them (what the collector writes)
ALL_TABLES = tuple(m.obj for m in MIGRATIONS if m.kind == "table")
TABLES = tuple(t for t in ALL_TABLES if t.startswith("otel_") and not t.endswith((ROLLING_SUFFIX, "_restored")))


@dataclass(frozen=True)
class SchemaOptions:
    """What rendering depends on: database, cluster name and TTL days per signal (0: none)."""

    database: str = "default"
    cluster: str = ""
    ttl_days: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIGNALS, 0))
    dedup_window: int = 10_000  # insert tokens each table remembers (storage/durability.py)
    fsync_parts: bool = False  # a server fsyncs each part before answering (storage/durability.py)

    def local(self, table: str) -> str:
        """Name the table that holds the rows (the _local one on a cluster)."""
        return f"{table}_local" if self.cluster else table

    @property
    def on_cluster(self) -> str:
        return f"ON CLUSTER {self.cluster}" if self.cluster else ""


def _sql_text(name: str) -> str:
    return resources.files("storage").joinpath("sql", name).read_text()


def _fragments() -> dict[str, str]:
    folder = resources.files("storage").joinpath("sql", "fragments")
    return {f.name.removesuffix(".sql"): f.read_text().rstrip("\n") for f in folder.iterdir()}


def engine_clause(m: Migration, opts: SchemaOptions) -> str:
    """Return the ENGINE expression: plain, or Replicated with a per-shard ZooKeeper path."""
    if not opts.cluster:
        return f"{m.engine}()"
    path = f"/clickhouse/tables/{{shard}}/{opts.database}/{opts.local(m.obj)}"
    return f"Replicated{m.engine}('{path}', '{{replica}}')"


def ttl_expression(m: Migration, opts: SchemaOptions) -> str:
    """Return the TTL expression for a table, or '' when its signal is kept forever."""
    days = opts.ttl_days.get(m.signal, 0) if m.ttl_column else 0
    # toDateTime, not toDate: a Date-based TTL would drop a whole day early
    return f"toDateTime({m.ttl_column}) + toIntervalDay({days})" if days else ""


def render(m: Migration, opts: SchemaOptions) -> list[str]:
    """Return the statements that create the migration's object(s)."""
    names = {t: f"{opts.database}.{opts.local(t)}" for t in ALL_TABLES}
    if m.table_of:
        names[m.table_of] = names[m.obj]
    ttl = ttl_expression(m, opts)
    variables = {
        **_fragments(),
        **names,
        "db": opts.database,
        "on_cluster": opts.on_cluster,
        "engine": engine_clause(m, opts) if m.kind == "table" else "",
        "ttl": f"TTL {ttl}" if ttl else "",
        **VARIANTS[m.variant],
    }
    # fragments hold variables of their own (nested a few levels deep), so substitute until stable
    text = _sql_text(f"{m.source or m.name}.sql")
    for _ in range(8):
        text, previous = Template(text).substitute(variables), text
        if text == previous:
            break
    statements = [text.strip()]
    if opts.cluster and m.kind == "table":
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {opts.database}.{m.obj} {opts.on_cluster} "
            f"AS {opts.database}.{opts.local(m.obj)} "
            f"ENGINE = Distributed({opts.cluster}, {opts.database}, {opts.local(m.obj)}, {m.shard_key})"
        )
    return statements


def migrations_table_ddl(opts: SchemaOptions) -> list[str]:
    """Return the statements creating the database and the table recording applied migrations."""
    if opts.cluster:
        path = f"/clickhouse/tables/otelhouse/{opts.database}/{MIGRATIONS_TABLE}"
        engine = f"ReplicatedReplacingMergeTree('{path}', '{{replica}}')"
    else:
        engine = "ReplacingMergeTree()"
    return [
        f"CREATE DATABASE IF NOT EXISTS {opts.database} {opts.on_cluster}",
        f"CREATE TABLE IF NOT EXISTS {opts.database}.{MIGRATIONS_TABLE} {opts.on_cluster} "
        "(name String, checksum String, applied_at DateTime64(3)) "
        f"ENGINE = {engine} ORDER BY name",
    ]


def checksum(statements: list[str]) -> str:
    """Fingerprint rendered statements, recorded with each applied migration."""
    return hashlib.sha256("\n;\n".join(statements).encode()).hexdigest()[:16]
