"""Validation rules, one sentence each naming the key, and the production secret policy."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from otelhouse.config.model import PERIODS, RETENTION_SIGNALS, SECTIONS, AuthSettings, RetentionSettings, Settings

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("auto", "json", "text")
URL_SCHEMES = ("chdb", "http", "https")
MAX_ANYVALUE_DEPTH = 32


def _port_problem(key: str, port: int) -> list[str]:
    # 0 asks the OS for a free port, which tests use
    return [] if 0 <= port <= 65535 else [f"{key} must be a port number from 0 to 65535, got {port}"]


def validate(s: Settings) -> list[str]:
    """Return one sentence per broken rule; empty when the settings are usable."""
    ch = s.clickhouse
    problems: list[str] = []
    scheme = urlsplit(ch.url).scheme
    if scheme not in URL_SCHEMES:
        problems.append(f"clickhouse.url must start with chdb://, http:// or https://, got {redact_url(ch.url)!r}")
    for key in ("database", "cluster"):
        value = getattr(ch, key)
        if value and not IDENTIFIER.match(value):
            problems.append(f"clickhouse.{key} must be letters, digits and underscores, got {value!r}")
    if not s.data.dir:
        problems.append("data.dir must name a folder (default ./data)")
    if ch.connect_timeout_s <= 0:
        problems.append("clickhouse.connect_timeout_s must be more than 0")
    if ch.dedup_window < 1:
        # a window of 0 turns deduplication off, and a replay after a crash would store rows twice
        problems.append(f"clickhouse.dedup_window must be at least 1, got {ch.dedup_window}")
    problems += _port_problem("collector.http_port", s.collector.http_port)
    problems += _port_problem("collector.grpc_port", s.collector.grpc_port)
    problems += _port_problem("dashboard.port", s.dashboard.port)
    problems += _port_problem("jaeger.udp_port", s.jaeger.udp_port)
    for key in (
        "max_body_bytes",
        "max_decompressed_bytes",
        "grpc_max_message_bytes",
        "batch_items",
        "batch_bytes",
        "batch_age_ms",
        "wal_batch_age_ms",
        "max_queue_bytes",
        "retry_after_s",
        "max_items_per_request",
        "max_attributes_per_item",
        "max_attribute_value_length",
        "max_anyvalue_depth",
        "json_max_line_bytes",
        "json_max_depth",
        "max_future_timestamp_s",
        "max_concurrent_requests",
        "max_inflight_body_bytes",
        "max_connections",
        "grpc_max_concurrent_streams",
        "idle_timeout_s",
        "body_grace_s",
        "body_min_rate_bytes",
        "grpc_keepalive_s",
        "grpc_max_connection_idle_s",
        "grpc_max_connection_age_s",
        "decompress_threads",
        "max_name_length",
        "max_log_body_length",
        "wal_max_bytes",
        "wal_segment_bytes",
        "stop_grace_s",
    ):
        if getattr(s.collector, key) <= 0:
            problems.append(f"collector.{key} must be more than 0, got {getattr(s.collector, key)}")
    if not 0 <= s.collector.background_nice <= 19:
        problems.append(f"collector.background_nice must be 0 to 19, got {s.collector.background_nice}")
    if s.collector.log_mapping_processes < 0:
        problems.append(f"collector.log_mapping_processes must be 0 or more, got {s.collector.log_mapping_processes}")
    if s.collector.max_anyvalue_depth < 2:
        # the native decode holds two levels without checking, so a lower limit could not be kept
        problems.append(f"collector.max_anyvalue_depth must be at least 2, got {s.collector.max_anyvalue_depth}")
    if s.collector.max_anyvalue_depth > MAX_ANYVALUE_DEPTH:
        # deeper values are cut while parsing (so the request still parses); the cut must stay above the limit
        problems.append(
            f"collector.max_anyvalue_depth must be at most {MAX_ANYVALUE_DEPTH}, got {s.collector.max_anyvalue_depth}"
        )
    if s.collector.max_inflight_body_bytes < max(s.collector.max_body_bytes, s.collector.grpc_max_message_bytes):
        problems.append(
            "collector.max_inflight_body_bytes must be at least collector.max_body_bytes and "
            "collector.grpc_max_message_bytes, or no such request could ever be admitted"
        )
    for key in ("max_message_chars", "max_lines_per_s"):
        if getattr(s.log, key) <= 0:
            problems.append(f"log.{key} must be more than 0, got {getattr(s.log, key)}")
    problems += retention_problems(s.retention)
    problems += auth_problems(s.auth)
    if s.log.level not in LOG_LEVELS:
        problems.append(f"log.level must be one of {', '.join(LOG_LEVELS)}, got {s.log.level!r}")
    if s.log.format not in LOG_FORMATS:
        problems.append(f"log.format must be one of {', '.join(LOG_FORMATS)}, got {s.log.format!r}")
    for key in ("visits_per_second", "export_interval_s"):
        if getattr(s.demo, key) <= 0:
            problems.append(f"demo.{key} must be more than 0, got {getattr(s.demo, key)}")
    return problems


def retention_problems(r: RetentionSettings) -> list[str]:
    """Return one sentence per broken [retention] rule."""
    problems: list[str] = []
    for signal in RETENTION_SIGNALS:
        period = getattr(r, f"{signal}_period")
        if period not in PERIODS:
            problems.append(f"retention.{signal}_period must be one of {', '.join(PERIODS)}, got {period!r}")
        if getattr(r, f"{signal}_hot_days") < 1:
            problems.append(f"retention.{signal}_hot_days must be at least 1")
    for key in ("logs_archive_days", "traces_archive_days", "metrics_archive_days", "metrics_rollup_days"):
        if getattr(r, key) < 0:
            problems.append(f"retention.{key} must be 0 (keep forever) or a number of days")
    for key in ("compact_weekly_after_days", "compact_monthly_after_days", "ttl_margin_days"):
        if getattr(r, key) < 0:
            problems.append(f"retention.{key} must be 0 or a number of days")
    problems += service_policy_problems(r)
    try:
        ZoneInfo(r.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"retention.timezone must be an IANA timezone such as Europe/Berlin, got {r.timezone!r}")
    if r.archive_url and urlsplit(r.archive_url).scheme not in ("http", "https"):
        problems.append(f"retention.archive_url must start with http:// or https://, got {redact_url(r.archive_url)!r}")
    elif r.archive_url and len(urlsplit(r.archive_url).path.strip("/")) == 0:
        problems.append("retention.archive_url must name a bucket: http(s)://host:port/bucket/prefix")
    return problems


def auth_problems(a: AuthSettings) -> list[str]:
    """Return one sentence per broken [auth] rule."""
    problems: list[str] = []
    for key in ("session_hours", "login_failures_per_user", "login_failures_per_address", "login_window_s"):
        if getattr(a, key) <= 0:
            problems.append(f"auth.{key} must be more than 0, got {getattr(a, key)}")
    if not a.users_file:
        problems.append("auth.users_file must name a file")
    for proxy in a.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            problems.append(f"auth.trusted_proxies must hold addresses or CIDR networks, got {proxy!r}")
    if a.proxy_user_header and not a.trusted_proxies:
        problems.append("auth.proxy_user_header needs auth.trusted_proxies (the header is only believed from them)")
    return problems


def parse_service_hot_days(entry: str) -> tuple[str, str, int]:
    """Split one `SIGNAL:SERVICE=DAYS` entry of retention.service_hot_days; raise ValueError saying what is wrong."""
    signal, colon, rest = entry.partition(":")
    service, equals, days = rest.rpartition("=")
    if not colon or not equals or not service or not days.strip().isdigit():
        raise ValueError(f"retention.service_hot_days entries look like logs:SERVICE=DAYS, got {entry!r}")
    return signal.strip(), service, int(days)


def service_policy_problems(r: RetentionSettings) -> list[str]:
    """Return one sentence per broken retention.service_hot_days entry."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for entry in r.service_hot_days:
        try:
            signal, service, days = parse_service_hot_days(entry)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if signal not in ("logs", "traces"):
            # metric points leave hot storage only with their rollups, which are written per partition
            problems.append(f"retention.service_hot_days: {signal!r} in {entry!r} must be logs or traces")
        elif not 1 <= days < getattr(r, f"{signal}_hot_days"):
            problems.append(
                f"retention.service_hot_days: {entry!r} must keep the service between 1 day and fewer than "
                f"retention.{signal}_hot_days ({getattr(r, f'{signal}_hot_days')})"
            )
        if (signal, service) in seen:
            problems.append(f"retention.service_hot_days: {signal}:{service} is given twice")
        seen.add((signal, service))
    return problems


def redact_url(url: str) -> str:
    """Hide a password embedded in a URL."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def production_problems(s: Settings) -> list[str]:
    """Return the secrets that production refuses: written in a config file, or left at the default."""
    if s.env != "production":
        return []
    problems: list[str] = []
    for section in SECTIONS:
        obj = getattr(s, section)
        for f in dataclasses.fields(obj):
            if not f.metadata.get("secret"):
                continue
            key = f"{section}.{f.name}"
            source = s.sources.get(key, "default")
            variable = f"OTELHOUSE_{section.upper()}_{f.name.upper()}"
            if source.startswith("config "):
                problems.append(
                    f"{key} is written in {source[7:]}; in production set {variable}_FILE "
                    f"(a secrets file outside the repository) or {variable} instead"
                )
            elif source == "default" and f.metadata.get("required_in_production"):
                problems.append(f"{key} is not set; in production set {variable}_FILE or {variable}")
    url_source = s.sources.get("clickhouse.url", "default")
    if urlsplit(s.clickhouse.url).password and url_source.startswith("config "):
        problems.append(
            f"clickhouse.url in {url_source[7:]} embeds a password; in production put it in "
            "OTELHOUSE_CLICKHOUSE_PASSWORD_FILE instead"
        )
    return problems
