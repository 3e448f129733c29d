"""Layered configuration: defaults < otelhouse.toml < OTELHOUSE_* env < OTELHOUSE_*_FILE secrets."""

from otelhouse.config.errors import ConfigError
from otelhouse.config.loader import env_name, load_settings
from otelhouse.config.model import (
    AuthSettings,
    ClickHouseSettings,
    CollectorSettings,
    DashboardSettings,
    LogSettings,
    RetentionSettings,
    Settings,
)
from otelhouse.config.validate import production_problems, redact_url

__all__ = [
    "AuthSettings",
    "ClickHouseSettings",
    "CollectorSettings",
    "ConfigError",
    "DashboardSettings",
    "LogSettings",
    "RetentionSettings",
    "Settings",
    "env_name",
    "load_settings",
    "production_problems",
    "redact_url",
]
