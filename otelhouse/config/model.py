"""Typed settings: one frozen dataclass per component, defaults and docs in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

ENVIRONMENTS = ("development", "staging", "production")


def setting(default: Any, doc: str, *, secret: bool = False, required_in_production: bool = False) -> Any:
    """Declare a setting with its default, a one-line doc and whether it is a secret."""
    meta = {"doc": doc, "secret": secret, "required_in_production": required_in_production}
    if isinstance(default, (list, tuple)):
        return field(default=tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ClickHouseSettings:
    url: str = setting(
        "chdb://./data/clickhouse",
        "chdb://PATH for the embedded engine, or http(s)://user:password@host:port/database for a server",
    )
    password: str = setting("", "ClickHouse password; overrides one in the URL", secret=True)
    database: str = setting("", "database name; overrides the URL's (default: default)")
    secure: bool = setting(False, "use TLS to the server (clickhouse-connect ignores the https scheme)")
    cluster: str = setting("", "cluster name: makes DDL use ON CLUSTER, Replicated* and Distributed tables")
    traces_ttl_days: int = setting(30, "days spans stay in hot storage (0: forever)")
    logs_ttl_days: int = setting(90, "days log records stay in hot storage (0: forever)")
    metrics_ttl_days: int = setting(90, "days metric points stay in hot storage (0: forever)")
    connect_timeout_s: float = setting(10.0, "seconds to wait for a ClickHouse server to answer")
    dedup_window: int = setting(
        10_000,
        "insert tokens each table remembers to recognise a replay; at least the inserts all collectors "
        "make into one table while one of them restarts (docs/ingest.md)",
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
    grpc_max_message_bytes: int = setting(64 * 1024 * 1024, "largest gRPC message accepted")
    max_items_per_request: int = setting(
        100_000, "spans, log records or metric points one request may hold; more: the request gets 400"
    )
    max_attributes_per_item: int = setting(
        128, "attributes a span, log record or point may carry (the OTel SDK default); more: item rejected"
    )
    max_attribute_value_length: int = setting(
        65_536, "characters kept of a string attribute value; longer ones are truncated and counted"
    )
    max_anyvalue_depth: int = setting(16, "arrays/kvlists nested in one attribute value or log body; deeper: rejected")
    max_future_timestamp_s: int = setting(
        86_400, "how far ahead of the collector's clock an item's timestamp may be; further: rejected"
    )
    max_concurrent_requests: int = setting(
        128, "OTLP requests decoded or waiting to be durable at once; more get 429 + Retry-After"
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
    batch_age_ms: int = setting(200, "flush a batch this old even when it is small")
    max_queue_bytes: int = setting(
        256 * 1024 * 1024, "request bytes waiting to be written; above it requests get 429 + Retry-After"
    )
    wal_enabled: bool = setting(
        True, "write accepted data to a local write-ahead log before acknowledging (durable across crashes)"
    )
    wal_dir: str = setting("./data/wal", "write-ahead log folder; one collector process per folder")
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
class DashboardSettings:
    host: str = setting("0.0.0.0", "address the dashboard listens on")
    port: int = setting(8080, "dashboard HTTP port")
    session_key: str = setting(
        "",
        "key that signs login sessions; random per start when empty (not allowed in production)",
        secret=True,
        required_in_production=True,
    )


@dataclass(frozen=True)
class RetentionSettings:
    enabled: bool = setting(True, "run the log-rolling scheduler")
    archive_dir: str = setting("./data/archive", "folder for verified Parquet archives")


@dataclass(frozen=True)
class LogSettings:
    level: str = setting("info", "otelhouse's own log level: debug, info, warning, error")
    format: str = setting("auto", "json, text, or auto (text on a terminal, JSON otherwise)")


SECTIONS: dict[str, type] = {
    "clickhouse": ClickHouseSettings,
    "collector": CollectorSettings,
    "dashboard": DashboardSettings,
    "retention": RetentionSettings,
    "log": LogSettings,
}


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    clickhouse: ClickHouseSettings = field(default_factory=ClickHouseSettings)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    log: LogSettings = field(default_factory=LogSettings)
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
