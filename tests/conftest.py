"""Shared fixtures: one embedded ClickHouse (chDB) for the whole test process, a fresh database per test.

chDB opens one data path per process, so tests share one path and isolate by database name.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from otelhouse.config import Settings, load_settings
from storage import Store, schema_options


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env(clickhouse_url: str, wal_dir: Path, http: int, grpc: int, dashboard: int) -> dict[str, str]:
    """The environment of an `otelhouse serve` subprocess on loopback: no demo, no retention, JSON logs."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")},
        "OTELHOUSE_CLICKHOUSE_URL": clickhouse_url,
        "OTELHOUSE_COLLECTOR_WAL_DIR": str(wal_dir),
        "OTELHOUSE_COLLECTOR_HOST": "127.0.0.1",
        "OTELHOUSE_COLLECTOR_HTTP_PORT": str(http),
        "OTELHOUSE_COLLECTOR_GRPC_PORT": str(grpc),
        "OTELHOUSE_COLLECTOR_BATCH_AGE_MS": "50",
        "OTELHOUSE_DASHBOARD_HOST": "127.0.0.1",
        "OTELHOUSE_DASHBOARD_PORT": str(dashboard),
        "OTELHOUSE_RETENTION_ENABLED": "false",
        "OTELHOUSE_DEMO_ENABLED": "false",
        "OTELHOUSE_LOG_FORMAT": "json",
    }


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb") / "clickhouse"


@pytest.fixture(scope="session")
def engine(chdb_path: Path) -> Iterator[Store]:
    """The process's one embedded engine (holds the data folder lock for the session)."""
    store = Store.open(load_settings({"OTELHOUSE_CLICKHOUSE_URL": f"chdb://{chdb_path}"}))
    yield store
    store.close()


def make_settings(chdb_path: Path, database: str = "default", **env: str) -> Settings:
    """Settings on the shared engine path and a given database, plus OTELHOUSE_* overrides."""
    base = {"OTELHOUSE_CLICKHOUSE_URL": f"chdb://{chdb_path}", "OTELHOUSE_CLICKHOUSE_DATABASE": database}
    return load_settings({**base, **env})


@pytest.fixture
def database() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(chdb_path: Path, database: str) -> Settings:
    return make_settings(chdb_path, database)


@pytest.fixture
def store(engine: Store, settings: Settings, database: str) -> Iterator[Store]:
    """A migrated store on a database of its own, sharing the session's engine."""
    store = Store(engine.target, schema_options(settings, database))
    store.migrate()
    yield store
    store.call(lambda c: c.command(f"DROP DATABASE IF EXISTS {database}"))
    store.close()
