"""The image's health check (python -m otelhouse.healthcheck) asks the part the container runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from otelhouse.healthcheck import check, main_command, urls
from tests.conftest import free_port


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def healthy_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def cmdline(*args: str) -> bytes:
    return b"\0".join(a.encode() for a in ("/opt/otelhouse/bin/python", "/opt/otelhouse/bin/otelhouse", *args)) + b"\0"


def test_the_command_is_read_from_the_main_process() -> None:
    assert main_command(cmdline("collector")) == "collector"
    assert main_command(cmdline("--config", "/etc/o.toml", "dashboard")) == "dashboard"
    assert main_command(b"") == ""
    assert urls("serve", {}) == ["http://127.0.0.1:4318/healthz", "http://127.0.0.1:8080/healthz"]
    assert urls("dashboard", {"OTELHOUSE_DASHBOARD_PORT": "9000"}) == ["http://127.0.0.1:9000/healthz"]
    assert urls("retention", {}) == []


def test_healthy_only_when_every_port_of_the_part_answers(healthy_port: int) -> None:
    closed = free_port()
    assert check({"OTELHOUSE_COLLECTOR_HTTP_PORT": str(healthy_port)}, cmdline("collector"))
    assert not check({"OTELHOUSE_COLLECTOR_HTTP_PORT": str(closed)}, cmdline("collector"))
    env = {"OTELHOUSE_COLLECTOR_HTTP_PORT": str(healthy_port), "OTELHOUSE_DASHBOARD_PORT": str(closed)}
    assert not check(env, cmdline("serve"))
    # retention serves no HTTP: up while its process runs; an unknown process is not otelhouse
    assert check({}, cmdline("retention"))
    assert not check({}, b"/bin/sh\0")


def test_a_proxy_in_the_environment_is_not_asked(healthy_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # an image run behind a corporate proxy (HTTP_PROXY set for the container) still checks itself
    dead = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, dead)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert check({"OTELHOUSE_COLLECTOR_HTTP_PORT": str(healthy_port)}, cmdline("collector"))
