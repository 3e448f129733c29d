"""Retention fixtures: a migrated store on the session's engine, settings with a temporary archive folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from otelhouse.config import Settings
from retention.roller import Roller
from storage import Store, schema_options
from tests.conftest import make_settings


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def make_roller(chdb_path: Path, database: str, tmp_path: Path, engine: Store) -> Callable[..., tuple[Roller, Store]]:
    """Build a roller on a fresh migrated database; keyword arguments become OTELHOUSE_RETENTION_* settings."""

    def make(clock: Clock, fault=None, **retention: str) -> tuple[Roller, Store]:
        env = {
            "OTELHOUSE_RETENTION_ARCHIVE_DIR": str(tmp_path / "archive"),
            "OTELHOUSE_RETENTION_STATE_DIR": str(tmp_path / "state"),
            **{f"OTELHOUSE_RETENTION_{k.upper()}": str(v) for k, v in retention.items()},
        }
        settings: Settings = make_settings(chdb_path, database, **env)
        store = Store(engine.target, schema_options(settings, database))
        store.migrate()
        return Roller(settings, store, clock=clock, fault=fault), store

    return make


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 10, 0, 30, tzinfo=UTC))
