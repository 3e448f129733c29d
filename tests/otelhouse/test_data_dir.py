"""One data folder per stack: data.dir moves the embedded store, write-ahead log and archives together."""

from __future__ import annotations

from pathlib import Path

import pytest

from otelhouse.config import ConfigError, load_settings
from otelhouse.config.model import DEFAULT_DATA_DIR, Settings
from storage.target import parse_target


def _paths(settings: Settings) -> dict[str, str]:
    return {
        "store": parse_target(settings.clickhouse).path,
        "wal": settings.collector.wal_dir,
        "archive": settings.retention.archive_dir,
        "state": settings.retention.state_dir,
        "users": settings.auth.users_file,
    }


def test_defaults_stay_under_data_for_make_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no otelhouse.toml here
    settings = load_settings({})
    assert settings.data.dir == DEFAULT_DATA_DIR == "./data"
    assert _paths(settings) == {
        "store": "./data/clickhouse",
        "wal": "./data/wal",
        "archive": "./data/archive",
        "state": "./data/retention",
        "users": "./data/users.json",
    }
    assert settings.sources["collector.wal_dir"] == "default"


def test_two_data_dirs_give_disjoint_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    a = _paths(load_settings({"OTELHOUSE_DATA_DIR": str(tmp_path / "a")}))
    b = _paths(load_settings({"OTELHOUSE_DATA_DIR": str(tmp_path / "b/")}))
    assert a["wal"] == str(tmp_path / "a" / "wal") and b["store"] == str(tmp_path / "b" / "clickhouse")
    assert not set(a.values()) & set(b.values())
    for path in [*a.values(), *b.values()]:
        assert not Path(path).is_relative_to(tmp_path / "data")


def test_data_dir_from_the_file_and_explicit_settings_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "otelhouse.toml").write_text('[data]\ndir = "/srv/otelhouse"\n[collector]\nwal_dir = "/fast/wal"\n')
    settings = load_settings({"OTELHOUSE_RETENTION_ARCHIVE_DIR": "/archive"})
    assert settings.collector.wal_dir == "/fast/wal"
    assert settings.retention.archive_dir == "/archive"
    assert settings.clickhouse.url == "chdb:///srv/otelhouse/clickhouse"
    assert settings.retention.state_dir == "/srv/otelhouse/retention"
    assert settings.sources["retention.state_dir"].startswith("under data.dir (config ")
    # a server URL wins too: the log and archives still move with data.dir
    (tmp_path / "otelhouse.toml").unlink()
    server = load_settings({"OTELHOUSE_CLICKHOUSE_URL": "http://ch:8123/otel", "OTELHOUSE_DATA_DIR": "/b"})
    assert server.clickhouse.url == "http://ch:8123/otel" and server.collector.wal_dir == "/b/wal"


def test_empty_data_dir_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"data\.dir must name a folder"):
        load_settings({"OTELHOUSE_DATA_DIR": ""})
