"""Typed settings: one frozen dataclass per component, defaults and docs in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from otelhouse.config.scrape import ScrapeJob, parse_jobs

ENVIRONMENTS = ("development", "staging", "production")
DEFAULT_DATA_DIR = "./data"
# Settings whose default lies under `[data] dir`: an explicit value wins, otherwise it moves with data.dir
UNDER_DATA_DIR = {
    ("clickhouse", "url"): "chdb://{}/clickhouse",
    ("collector", "wal_dir"): "{}/wal",
    ("auth", "users_file"): "{}/users.json",
    ("retention", "archive_dir"): "{}/archive",
    ("retention", "state_dir"): "{}/retention",
}


def under_data_dir(data_dir: str) -> dict[tuple[str, str], str]:
    """Return the default of every setting kept under the data folder `data_dir`."""
    folder = data_dir.rstrip("/")  # "/" gives /wal, chdb:///clickhouse
    return {key: template.format(folder) for key, template in UNDER_DATA_DIR.items()}


_DEFAULTS = under_data_dir(DEFAULT_DATA_DIR)


def setting(
    default: Any, doc: str, *, secret: bool = False, required_in_production: bool = False, parse: Any = None
) -> Any:
    """Declare a setting with its default, a one-line doc, whether it is a secret and its own parser."""
    meta = {"doc": doc, "secret": secret, "required_in_production": required_in_production}
    if parse is not None:
        meta["parse"] = parse  # parse(raw TOML value or environment text, where) for structured settings
    if isinstance(default, (list, tuple)):
        return field(default=tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ClickHouseSettings:
    url: str = setting(
        _DEFAULTS[("clickhouse", "url")],
        "chdb://PATH for the embedded engine, or http(s)://user:password@host:port/database for a server",
    )
    password: str = setting("", "ClickHouse password; overrides one in the URL", secret=True)
    database: str = setting("", "database name; overrides the URL's (default: default)")
    secure: bool = setting(False, "use TLS to the server (clickhouse-connect ignores the https scheme)")
    cluster: str = setting("", "cluster name: makes DDL use ON CLUSTER, Replicated* and Distributed tables")
    connect_timeout_s: float = setting(10.0, "seconds to wait for a ClickHouse server to answer")
    dedup_window: int = setting(
        10_000,
        "insert tokens each table remembers to recognise a replay; at least the inserts all collectors "
        "make into one table while one of them restarts (docs/ingest.md)",
    )


@dataclass(frozen=True)
class DataSettings:
    dir: str = setting(
        DEFAULT_DATA_DIR,
        "folder of this stack's local state: the defaults of clickhouse.url (chdb://DIR/clickhouse), "
        "collector.wal_dir (DIR/wal), auth.users_file (DIR/users.json), retention.archive_dir (DIR/archive) "
        "and retention.state_dir (DIR/retention) lie under it; a value given for one of them wins",
    )


@dataclass(frozen=True)
class CollectorSettings:
    host: str = setting("0.0.0.0", "address the collector listens on")
    http_port: int = setting(4318, "OTLP/HTTP port (also /metrics, /healthz, /readyz)")
    grpc_port: int = setting(4317, "OTLP/gRPC port")
    http_enabled: bool = setting(True, "serve OTLP/HTTP on http_port (health and /metrics stay on)")
    grpc_enabled: bool = setting(True, "serve OTLP/gRPC on grpc_port")
    api_keys: tuple[str, ...] = setting(
        (), "ingest keys accepted as 'Authorization: Bearer' or X-API-Key; empty: no auth", secret=True
    )
    max_body_bytes: int = setting(16 * 1024 * 1024, "largest request body accepted, as sent (413 above)")
    max_decompressed_bytes: int = setting(
        64 * 1024 * 1024, "largest request body after gzip/deflate/zstd decompression (413 above)"
    )
    grpc_max_message_bytes: int = setting(
        16 * 1024 * 1024, "largest gRPC message accepted; each message being read holds this much of the body budget"
    )
    max_inflight_body_bytes: int = setting(
        512 * 1024 * 1024,
        "request-body bytes (as sent, then decompressed) held at once across all connections, taken before a "
        "body is read; full: 429 / RESOURCE_EXHAUSTED + Retry-After. Bounds memory (docs/ingest.md)",
    )
    max_connections: int = setting(1024, "open connections per protocol (HTTP, gRPC); more are closed at once")
    grpc_max_concurrent_streams: int = setting(32, "gRPC requests in flight on one connection")
    idle_timeout_s: float = setting(
        30.0, "seconds an HTTP connection may wait for a complete request head (idle keep-alive, slow headers)"
    )
    body_grace_s: float = setting(10.0, "seconds any request body may take before body_min_rate_bytes applies")
    body_min_rate_bytes: int = setting(
        64 * 1024,
        "request bodies must arrive at this many bytes/s on average after body_grace_s, else 408 and closed; "
        "a gRPC message must arrive within body_grace_s + grpc_max_message_bytes / this",
    )
    grpc_keepalive_s: float = setting(60.0, "ping an idle gRPC connection this often; no answer in 20 s: closed")
    grpc_max_connection_idle_s: float = setting(300.0, "close a gRPC connection without requests for this long")
    grpc_max_connection_age_s: float = setting(
        3600.0, "ask gRPC clients to reconnect after this long (rebalances; 30 s grace for requests in flight)"
    )
    decompress_threads: int = setting(
        1, "threads that decompress request bodies, off the event loop (fewer than cores: bombs leave the loop one)"
    )
    background_nice: int = setting(
        10,
        "CPU priority (Linux nice, 0-19) of the threads doing bulk work: the embedded ClickHouse's, grpc's C core's, "
        "the storage writers'; the event loop keeps 0, so it gets a core first on a busy machine (0: off)",
    )
    max_items_per_request: int = setting(
        100_000, "spans, log records or metric points one request may hold; more: the request gets 400"
    )
    max_attributes_per_item: int = setting(
        128, "attributes a span, log record or point may carry (the OTel SDK default); more: item rejected"
    )
    max_attribute_value_length: int = setting(
        65_536, "characters kept of a string attribute value; longer ones are truncated and counted"
    )
    max_name_length: int = setting(
        16_384,
        "characters kept of span, event, metric and scope names (and metric unit, description); longer: truncated",
    )
    max_log_body_length: int = setting(
        65_536, "characters kept of each string in a log body, and of a span's status message; longer: truncated"
    )
    max_anyvalue_depth: int = setting(16, "arrays/kvlists nested in one attribute value or log body; deeper: rejected")
    json_max_line_bytes: int = setting(
        262_144, "longest JSON line or Loki log line accepted, in bytes; longer: that line is rejected, the rest stored"
    )
    json_max_depth: int = setting(
        16, "objects nested in one JSON log line; deeper: the line is stored raw (body = the line), not mapped"
    )
    log_mapping_processes: int = setting(
        0,
        "worker processes that map JSON-lines and Loki bodies over 64 KiB beside the event loop; 0: a thread "
        "of the collector (measured faster on a busy machine: docs/performance.md)",
    )
    max_future_timestamp_s: int = setting(
        86_400, "how far ahead of the collector's clock an item's timestamp may be; further: rejected"
    )
    max_concurrent_requests: int = setting(
        1024,
        "OTLP requests decoded or waiting to be durable at once; more get 429 + Retry-After. Their bodies also "
        "count in max_inflight_body_bytes, which bounds memory; this only caps how many wait",
    )
    batch_items: int = setting(
        120_000,
        "items (spans, log records, points) per insert: flush when reached. Each insert has a fixed cost, "
        "so larger batches store faster but the embedded engine needs more memory (docs/performance.md)",
    )
    batch_bytes: int = setting(
        20 * 1024 * 1024,
        "OTLP protobuf bytes per insert: flush when reached, whichever of this and batch_items comes first. "
        "The embedded engine needs roughly 20x this in memory during an insert (docs/performance.md)",
    )
    batch_age_ms: int = setting(
        200, "with the write-ahead log off (clients wait for the insert): flush a batch this old even when it is small"
    )
    wal_batch_age_ms: int = setting(
        1000,
        "with the write-ahead log on (clients wait only for the log): flush a batch this old even when it is "
        "small. Fewer, larger inserts cost ClickHouse much less CPU per item (docs/performance.md); rows become "
        "queryable up to this much later",
    )
    max_queue_bytes: int = setting(
        256 * 1024 * 1024, "request bytes waiting to be written; above it requests get 429 + Retry-After"
    )
    wal_enabled: bool = setting(
        True, "write accepted data to a local write-ahead log before acknowledging (durable across crashes)"
    )
    wal_dir: str = setting(
        _DEFAULTS[("collector", "wal_dir")], "write-ahead log folder; one collector process per folder"
    )
    wal_max_bytes: int = setting(
        1024 * 1024 * 1024, "disk quota of data not yet stored; above it requests get 503/429 + Retry-After"
    )
    wal_segment_bytes: int = setting(64 * 1024 * 1024, "size at which the write-ahead log starts a new file")
    native_decode: bool = setting(
        True, "let ClickHouse decode OTLP protobuf (fast path); false: build every row in Python"
    )
    retry_after_s: int = setting(5, "seconds clients are told to wait (Retry-After) when refused")
    stop_grace_s: float = setting(
        20.0, "at shutdown, seconds to store what is due (all signals together); the rest stays in the log"
    )


@dataclass(frozen=True)
class PrometheusSettings:
    remote_write_enabled: bool = setting(
        True, "accept Prometheus remote-write 1.0 at POST /api/v1/write on collector.http_port"
    )
    scrape_jobs: tuple[ScrapeJob, ...] = setting(
        (),
        "targets to scrape: [[prometheus.scrape_jobs]] tables (docs/ingest.md); in the environment a JSON list",
        parse=parse_jobs,
    )


@dataclass(frozen=True)
class JaegerSettings:
    http_enabled: bool = setting(True, "accept Jaeger Thrift batches at POST /api/traces on collector.http_port")
    udp_enabled: bool = setting(
        False, "accept the Jaeger agent protocol (compact Thrift over UDP; unacknowledged, see docs/ingest.md)"
    )
    udp_port: int = setting(6831, "UDP port of the Jaeger agent protocol (emitBatch), on collector.host")


@dataclass(frozen=True)
class DashboardSettings:
    host: str = setting("127.0.0.1", "address the dashboard listens on")
    port: int = setting(8080, "dashboard HTTP port")
    stakeholders_file: str = setting(
        "",
        "TOML file of stakeholders, their KPI pages and which metrics are business metrics (docs/kpi.md); "
        "empty: the built-in file for the demo shop",
    )


@dataclass(frozen=True)
class AuthSettings:
    users_file: str = setting(
        _DEFAULTS[("auth", "users_file")],
        "dashboard users and their API tokens (hashed), kept by `otelhouse users` and `otelhouse tokens`; "
        "the dashboard re-reads it when it changes (docs/users.md)",
    )
    session_keys: tuple[str, ...] = setting(
        (),
        "keys that sign login cookies: the first signs, all verify (rotate by putting a new key first); "
        "random per start when empty (not allowed in production)",
        secret=True,
        required_in_production=True,
    )
    session_hours: float = setting(12.0, "hours a login lasts before the user must sign in again")
    login_failures_per_user: int = setting(
        5, "failed logins one user name may have within login_window_s; more are refused (429) until it passes"
    )
    login_failures_per_address: int = setting(
        20, "failed logins one client address may have within login_window_s; more are refused (429)"
    )
    login_window_s: int = setting(900, "seconds over which failed logins are counted")
    trusted_proxies: tuple[str, ...] = setting(
        (),
        "addresses or CIDR networks of reverse proxies whose X-Forwarded-For, X-Forwarded-Proto and "
        "proxy_user_header are believed; from anyone else these headers are ignored",
    )
    proxy_user_header: str = setting(
        "",
        "header in which a trusted proxy names the signed-in user (oauth2-proxy: X-Forwarded-User); the user "
        "must exist in users_file, which gives the role; empty: off",
    )


RETENTION_SIGNALS = ("logs", "traces", "metrics")
PERIODS = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class RetentionSettings:
    enabled: bool = setting(
        True, "roll closed periods into verified archives; false: rows leave hot storage by TTL, unarchived"
    )
    archive_dir: str = setting(
        _DEFAULTS[("retention", "archive_dir")], "folder for verified Parquet archives (when archive_url is empty)"
    )
    archive_url: str = setting(
        "", "S3-compatible bucket for archives instead of archive_dir: http(s)://host:port/bucket/prefix"
    )
    s3_access_key_id: str = setting("", "access key for archive_url", secret=True)
    s3_secret_access_key: str = setting("", "secret key for archive_url", secret=True)
    state_dir: str = setting(
        _DEFAULTS[("retention", "state_dir")], "folder of the roller's lock (one roller at a time)"
    )
    timezone: str = setting("UTC", "IANA timezone in which days, weeks and months are cut")
    logs_period: str = setting("daily", "how often log rows are rolled: daily, weekly or monthly")
    logs_hot_days: int = setting(14, "days log records stay in hot storage (today included)")
    logs_archive_days: int = setting(396, "days log archives are kept after their period ends (0: forever)")
    traces_period: str = setting("daily", "how often spans are rolled: daily, weekly or monthly")
    traces_hot_days: int = setting(7, "days spans stay in hot storage (today included)")
    traces_archive_days: int = setting(396, "days trace archives are kept after their period ends (0: forever)")
    metrics_period: str = setting("daily", "how often raw metric points are rolled: daily, weekly or monthly")
    metrics_hot_days: int = setting(30, "days raw metric points stay in hot storage (today included)")
    metrics_archive_days: int = setting(396, "days raw metric archives are kept after their period ends (0: forever)")
    metrics_rollup_days: int = setting(396, "days the hourly and daily metric rollups are kept (0: forever)")
    service_hot_days: tuple[str, ...] = setting(
        (),
        "services kept hot fewer days than their signal, as SIGNAL:SERVICE=DAYS (logs or traces), e.g. "
        "logs:loadgen=3; their rows are archived per service and deleted once the archive verifies",
    )
    compact_weekly_after_days: int = setting(
        7, "days after a week ends before its daily archives are compacted into one (0: never)"
    )
    compact_monthly_after_days: int = setting(
        31, "days after a month ends before its archives are compacted into one (0: never)"
    )
    ttl_margin_days: int = setting(
        0,
        "0: hot tables carry no TTL and only verified rolls remove rows; N: a backstop TTL at hot days + N "
        "(it deletes unarchived rows if rolling stalls that long)",
    )

    def table_ttl_days(self) -> dict[str, int]:
        """Return the ClickHouse TTL per signal that this policy implies (0: none); the one source of truth."""
        ttl = {s: 0 for s in RETENTION_SIGNALS}
        for signal in RETENTION_SIGNALS:
            hot = getattr(self, f"{signal}_hot_days")
            if not self.enabled:
                ttl[signal] = hot
            elif self.ttl_margin_days:
                ttl[signal] = hot + self.ttl_margin_days
        ttl["metrics_rollups"] = self.metrics_rollup_days
        return ttl


@dataclass(frozen=True)
class LogSettings:
    level: str = setting("info", "otelhouse's own log level: debug, info, warning, error")
    format: str = setting("auto", "json, text, or auto (text on a terminal, JSON otherwise)")
    max_message_chars: int = setting(4096, "characters kept of one log message (and of a traceback); longer: cut")
    max_lines_per_s: int = setting(
        100, "log lines per second on average (bursts of 10 s worth); more are dropped and counted"
    )


@dataclass(frozen=True)
class DemoSettings:
    enabled: bool = setting(
        True,
        "run the demo shop with `otelhouse serve`; on by default in development only (set it to turn on elsewhere)",
    )
    visits_per_second: float = setting(1.5, "shop visits per second at the daily peak (seasonality scales it down)")
    export_interval_s: float = setting(10.0, "seconds between the demo's metric exports")
    seed: int = setting(0, "seed of the incident timeline and the simulated traffic (0: a random seed per start)")


SECTIONS: dict[str, type] = {
    "clickhouse": ClickHouseSettings,
    "data": DataSettings,
    "collector": CollectorSettings,
    "prometheus": PrometheusSettings,
    "jaeger": JaegerSettings,
    "dashboard": DashboardSettings,
    "auth": AuthSettings,
    "retention": RetentionSettings,
    "log": LogSettings,
    "demo": DemoSettings,
}


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    clickhouse: ClickHouseSettings = field(default_factory=ClickHouseSettings)
    data: DataSettings = field(default_factory=DataSettings)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    prometheus: PrometheusSettings = field(default_factory=PrometheusSettings)
    jaeger: JaegerSettings = field(default_factory=JaegerSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    log: LogSettings = field(default_factory=LogSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    # "section.key" -> where the effective value came from
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def secret_values(self) -> list[str]:
        """Return every non-empty secret value, for redaction."""
        values: list[str] = []
        for section in SECTIONS:
            obj = getattr(self, section)
            for f in dataclasses.fields(obj):
                if f.metadata.get("secret"):
                    value = getattr(obj, f.name)
                    values.extend(v for v in (value if isinstance(value, tuple) else (value,)) if v)
        return values


def section_fields(section: str) -> dict[str, dataclasses.Field]:
    """Return the fields of a section by key name."""
    return {f.name: f for f in dataclasses.fields(SECTIONS[section])}
