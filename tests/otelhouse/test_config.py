"""Layered configuration: each layer's precedence, validation messages, secrets."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from otelhouse.config import ConfigError, load_settings, production_problems
from otelhouse.config.show import render_settings
from otelhouse.logs import configure_logging


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_without_file_or_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings({})
    assert s.env == "development"
    assert s.clickhouse.url == "chdb://./data/clickhouse"
    assert s.collector.http_port == 4318 and s.collector.grpc_port == 4317
    assert s.dashboard.port == 8080
    assert s.sources["collector.http_port"] == "default"


def test_each_layer_wins_over_the_one_before(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "o.toml",
        """
[collector]
http_port = 5000
grpc_port = 5001
batch_items = 10

[production.collector]
http_port = 6000
grpc_port = 6001

[staging.collector]
http_port = 7000
""",
    )
    secret = write(tmp_path / "grpc_port", "9001\n")
    base = {"OTELHOUSE_CONFIG": str(cfg)}
    s = load_settings(base)
    assert (s.collector.http_port, s.collector.grpc_port) == (5000, 5001)
    assert s.sources["collector.http_port"] == f"config {cfg}"

    s = load_settings({**base, "OTELHOUSE_ENV": "production", "OTELHOUSE_AUTH_SESSION_KEYS": "k" * 32})
    assert (s.collector.http_port, s.collector.grpc_port, s.collector.batch_items) == (6000, 6001, 10)
    assert s.sources["collector.http_port"] == f"config {cfg} [production]"

    s = load_settings({**base, "OTELHOUSE_ENV": "production", "OTELHOUSE_COLLECTOR_GRPC_PORT": "8001"})
    assert s.collector.grpc_port == 8001
    assert s.sources["collector.grpc_port"] == "env OTELHOUSE_COLLECTOR_GRPC_PORT"

    s = load_settings(
        {
            **base,
            "OTELHOUSE_ENV": "production",
            "OTELHOUSE_COLLECTOR_GRPC_PORT": "8001",
            "OTELHOUSE_COLLECTOR_GRPC_PORT_FILE": str(secret),
        }
    )
    assert s.collector.grpc_port == 9001
    assert s.sources["collector.grpc_port"] == f"secret file {secret}"


def test_env_values_are_parsed_to_their_types(tmp_path: Path) -> None:
    s = load_settings(
        {
            "OTELHOUSE_CONFIG": str(write(tmp_path / "e.toml", "")),
            "OTELHOUSE_RETENTION_ENABLED": "false",
            "OTELHOUSE_CLICKHOUSE_CONNECT_TIMEOUT_S": "2.5",
            "OTELHOUSE_COLLECTOR_API_KEYS": "a1b2c3d4, e5f6g7h8",
            "OTELHOUSE_RETENTION_ARCHIVE_DIR": "/tmp/arch",
        }
    )
    assert s.retention.enabled is False
    assert s.clickhouse.connect_timeout_s == 2.5
    assert s.collector.api_keys == ("a1b2c3d4", "e5f6g7h8")
    assert s.retention.archive_dir == "/tmp/arch"


def test_secret_file_holds_one_key_per_line(tmp_path: Path) -> None:
    keys = write(tmp_path / "keys", "old-key-123\nnew-key-456\n")
    s = load_settings({"OTELHOUSE_COLLECTOR_API_KEYS_FILE": str(keys)})
    assert s.collector.api_keys == ("old-key-123", "new-key-456")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("[collector]\nhttp_port = 'x'\n", ["[collector] http_port", "expected an integer", "str 'x'"]),
        (
            "[collector]\nhttp_prot = 1\n",
            ["unknown key 'http_prot' in [collector]", "did you mean 'http_port'"],
        ),
        ("[colector]\nhttp_port = 1\n", ["unknown section [colector]", "did you mean 'collector'"]),
        ("[collector\nhttp_port = 1\n", ["not valid TOML"]),
        ("[production.collector]\nhttp_port = true\n", ["[production]: [collector] http_port", "bool True"]),
        ("[collector]\napi_keys = 'one'\n", ["expected a list of strings"]),
    ],
)
def test_bad_config_file_names_file_key_and_type(tmp_path: Path, text: str, fragments: list[str]) -> None:
    cfg = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as err:
        load_settings({"OTELHOUSE_CONFIG": str(cfg)})
    message = str(err.value)
    assert str(cfg) in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"OTELHOUSE_COLLECTOR_HTTP_PORT": "eighty"}, "OTELHOUSE_COLLECTOR_HTTP_PORT: expected an integer"),
        ({"OTELHOUSE_COLLECTOR_HTTP_PROT": "1"}, "did you mean 'OTELHOUSE_COLLECTOR_HTTP_PORT'"),
        ({"OTELHOUSE_ENV": "prod"}, "OTELHOUSE_ENV is 'prod'"),
        ({"OTELHOUSE_CONFIG": "/nonexistent/o.toml"}, "OTELHOUSE_CONFIG names /nonexistent/o.toml"),
        ({"OTELHOUSE_COLLECTOR_HTTP_PORT": "70000"}, "collector.http_port must be a port number"),
        ({"OTELHOUSE_CLICKHOUSE_URL": "mysql://x"}, "clickhouse.url must start with chdb://"),
        ({"OTELHOUSE_CLICKHOUSE_DATABASE": "a;drop"}, "clickhouse.database must be letters"),
        ({"OTELHOUSE_LOG_LEVEL": "loud"}, "log.level must be one of"),
        ({"OTELHOUSE_CLICKHOUSE_DEDUP_WINDOW": "0"}, "clickhouse.dedup_window must be at least 1, got 0"),
        ({"OTELHOUSE_COLLECTOR_WAL_SEGMENT_BYTES": "0"}, "collector.wal_segment_bytes must be more than 0"),
        ({"OTELHOUSE_COLLECTOR_WAL_MAX_BYTES": "-1"}, "collector.wal_max_bytes must be more than 0"),
        ({"OTELHOUSE_COLLECTOR_STOP_GRACE_S": "0"}, "collector.stop_grace_s must be more than 0"),
        ({"OTELHOUSE_COLLECTOR_BACKGROUND_NICE": "20"}, "collector.background_nice must be 0 to 19, got 20"),
        ({"OTELHOUSE_AUTH_SESSION_KEYS_FILE": "/nonexistent/k"}, "cannot be read"),
    ],
)
def test_bad_environment_is_named(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert fragment in str(err.value)


def test_config_show_redacts_secrets_and_names_sources(tmp_path: Path) -> None:
    key_file = write(tmp_path / "sk", "super-secret-session-key\n")
    s = load_settings(
        {
            "OTELHOUSE_CLICKHOUSE_URL": "http://otel:hunter2pass@ch.example:8123/otel",
            "OTELHOUSE_COLLECTOR_API_KEYS": "ingest-key-aaaa,ingest-key-bbbb",
            "OTELHOUSE_AUTH_SESSION_KEYS_FILE": str(key_file),
        }
    )
    shown = render_settings(s)
    for secret in ("hunter2pass", "ingest-key-aaaa", "ingest-key-bbbb", "super-secret-session-key"):
        assert secret not in shown
    assert 'url = "http://otel:***@ch.example:8123/otel"' in shown
    assert 'api_keys = ["***", "***"]  # env OTELHOUSE_COLLECTOR_API_KEYS' in shown
    assert f'session_keys = ["***"]  # secret file {key_file}' in shown


def test_production_refuses_file_embedded_and_default_secrets(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "p.toml",
        """
[production.collector]
api_keys = ["written-in-repo"]
[production.clickhouse]
url = "http://u:pw-in-file@ch:8123/db"
""",
    )
    s = load_settings({"OTELHOUSE_CONFIG": str(cfg), "OTELHOUSE_ENV": "production"})
    problems = "\n".join(production_problems(s))
    assert "collector.api_keys is written in" in problems and "OTELHOUSE_COLLECTOR_API_KEYS_FILE" in problems
    assert "auth.session_keys is not set" in problems
    assert "clickhouse.url in" in problems and "embeds a password" in problems
    assert "pw-in-file" not in problems

    keys = write(tmp_path / "keys", "from-a-secret-file\n")
    ok = load_settings(
        {
            "OTELHOUSE_ENV": "production",
            "OTELHOUSE_COLLECTOR_API_KEYS_FILE": str(keys),
            "OTELHOUSE_AUTH_SESSION_KEYS": "s" * 32,
        }
    )
    assert production_problems(ok) == []
    # development accepts anything
    assert production_problems(load_settings({"OTELHOUSE_CONFIG": str(cfg)})) == []


def test_logs_redact_secrets_in_json_lines() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", ["hunter2pass"], stream=stream)
    logging.getLogger("t").info("connecting with hunter2pass", extra={"url": "http://u:hunter2pass@h"})
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["msg"] == "connecting with ***"
    assert line["url"] == "http://u:***@h"
    assert line["level"] == "info" and line["logger"] == "t"
