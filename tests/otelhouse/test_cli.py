"""The `otelhouse` command as a user runs it: help, config errors, store errors, serve start and stop."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

OTELHOUSE = [sys.executable, "-m", "otelhouse"]


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")}
    return subprocess.run([*OTELHOUSE, *args], env={**clean, **env}, capture_output=True, text=True, timeout=timeout)


def test_help_explains_each_command() -> None:
    out = run(["--help"], {}).stdout
    for command in ("serve", "collector", "dashboard", "retention", "migrate", "config"):
        assert command in out
    assert "OTELHOUSE_CONFIG" in out
    sub = run(["migrate", "--help"], {})
    assert sub.returncode == 0 and "idempotent" in sub.stdout


def test_config_show_prints_effective_settings(tmp_path: Path) -> None:
    result = run(
        ["config", "show"],
        {"OTELHOUSE_COLLECTOR_HTTP_PORT": "5555", "OTELHOUSE_COLLECTOR_API_KEYS": "topsecretkey1"},
    )
    assert result.returncode == 0, result.stderr
    assert "http_port = 5555  # env OTELHOUSE_COLLECTOR_HTTP_PORT" in result.stdout
    assert "topsecretkey1" not in result.stdout


def test_malformed_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "otelhouse.toml"
    cfg.write_text("[dashboard]\nport = 'eighty'\n")
    result = run(["serve"], {"OTELHOUSE_CONFIG": str(cfg)})
    assert result.returncode == 2
    assert str(cfg) in result.stderr and "[dashboard] port" in result.stderr and "integer" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_default_session_keys(tmp_path: Path) -> None:
    result = run(["serve"], {"OTELHOUSE_ENV": "production", "OTELHOUSE_CLICKHOUSE_URL": f"chdb://{tmp_path}/ch"})
    assert result.returncode == 2
    assert "refusing to start in production" in result.stderr and "auth.session_keys" in result.stderr


def test_unreachable_server_is_one_clear_line() -> None:
    port = free_port()
    result = run(
        ["migrate"],
        {"OTELHOUSE_CLICKHOUSE_URL": f"http://127.0.0.1:{port}/otel", "OTELHOUSE_CLICKHOUSE_CONNECT_TIMEOUT_S": "2"},
    )
    assert result.returncode == 1
    assert "cannot reach ClickHouse server" in result.stderr and "OTELHOUSE_CLICKHOUSE_URL" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


class _WrongPassword(http.server.BaseHTTPRequestHandler):
    """Answers every request as a ClickHouse server does for a wrong password.

    A stand-in: no ClickHouse server can run here (see DESIGN.md), so this fake sends the real
    server's HTTP status, header and error text for AUTHENTICATION_FAILED.
    """

    def _refuse(self) -> None:
        body = (
            b"Code: 516. DB::Exception: otel: Authentication failed: password is incorrect, "
            b"or there is no user with such name. (AUTHENTICATION_FAILED) (version 26.3.1.1)\n"
        )
        self.send_response(516)
        self.send_header("X-ClickHouse-Exception-Code", "516")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def wrong_password_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WrongPassword)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_wrong_password_says_so(wrong_password_server: int) -> None:
    result = run(
        ["migrate"],
        {
            "OTELHOUSE_CLICKHOUSE_URL": f"http://otel@127.0.0.1:{wrong_password_server}/otel",
            "OTELHOUSE_CLICKHOUSE_PASSWORD": "not-the-password",
        },
    )
    assert result.returncode == 1
    assert "wrong user or password" in result.stderr and "OTELHOUSE_CLICKHOUSE_PASSWORD" in result.stderr
    assert "not-the-password" not in result.stderr and "Traceback" not in result.stderr


def wait_http(url: str, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_serve_starts_all_parts_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {"http": free_port(), "grpc": free_port(), "dash": free_port()}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")},
        "OTELHOUSE_CLICKHOUSE_URL": f"chdb://{tmp_path}/clickhouse",
        "OTELHOUSE_COLLECTOR_WAL_DIR": str(tmp_path / "wal"),
        "OTELHOUSE_COLLECTOR_HOST": "127.0.0.1",
        "OTELHOUSE_COLLECTOR_HTTP_PORT": str(ports["http"]),
        "OTELHOUSE_COLLECTOR_GRPC_PORT": str(ports["grpc"]),
        "OTELHOUSE_DASHBOARD_HOST": "127.0.0.1",
        "OTELHOUSE_DASHBOARD_PORT": str(ports["dash"]),
        "OTELHOUSE_LOG_FORMAT": "json",
    }
    proc = subprocess.Popen([*OTELHOUSE, "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_http(f"http://127.0.0.1:{ports['http']}/healthz") == 200
        assert wait_http(f"http://127.0.0.1:{ports['dash']}/healthz") == 200
        assert wait_http(f"http://127.0.0.1:{ports['http']}/readyz") == 200
        assert wait_http(f"http://127.0.0.1:{ports['dash']}/readyz") == 200
        # the service map's edge rollup ran at start-up, in this process, and succeeded
        deadline = time.monotonic() + 60
        while "otelhouse_edge_rollup_runs_total 1.0" not in (
            metrics := _text(f"http://127.0.0.1:{ports['http']}/metrics")
        ):
            assert time.monotonic() < deadline, metrics[-2000:]
            time.sleep(0.5)
        assert "otelhouse_edge_rollup_healthy 1.0" in metrics

        second = subprocess.run([*OTELHOUSE, "migrate"], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already open in another otelhouse process" in second.stderr
        assert f"pid {proc.pid}" in second.stderr

        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert '"msg": "stopped"' in stderr
    assert "Traceback" not in stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "taken", "setting"),
    [
        ("collector", "OTELHOUSE_COLLECTOR_HTTP_PORT", "collector.http_port"),
        ("collector", "OTELHOUSE_COLLECTOR_GRPC_PORT", "collector.grpc_port"),
        ("dashboard", "OTELHOUSE_DASHBOARD_PORT", "dashboard.port"),
    ],
)
def test_a_port_in_use_is_one_line_exit_2_and_unwound(tmp_path: Path, command: str, taken: str, setting: str) -> None:
    ports = {
        "OTELHOUSE_COLLECTOR_HTTP_PORT": free_port(),
        "OTELHOUSE_COLLECTOR_GRPC_PORT": free_port(),
        "OTELHOUSE_DASHBOARD_PORT": free_port(),
    }
    env = {
        "OTELHOUSE_CLICKHOUSE_URL": f"chdb://{tmp_path}/clickhouse",
        "OTELHOUSE_COLLECTOR_WAL_DIR": str(tmp_path / "wal"),
        "OTELHOUSE_COLLECTOR_HOST": "127.0.0.1",
        "OTELHOUSE_DASHBOARD_HOST": "127.0.0.1",
        "OTELHOUSE_LOG_FORMAT": "json",
        **{k: str(v) for k, v in ports.items()},
    }
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports[taken]))
        holder.listen()
        result = run([command], env, timeout=180)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("otelhouse: ")]
    assert errors == [f"otelhouse: cannot listen on 127.0.0.1:{ports[taken]} ({setting}): address already in use"]
    # what had started (pipeline, the other listener, the store) was stopped cleanly
    for bad in ("Traceback", "Event loop is closed", "was never awaited", '"level": "error"'):
        assert bad not in result.stderr
    assert '"msg": "collector pipeline flushed"' in result.stderr or command == "dashboard"
