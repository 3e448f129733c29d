"""Debian's real Prometheus and node-exporter as test peers on free loopback ports, and polling helpers."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port


def need(binary: str) -> str:
    """The binary's path; skip the test where the Debian package is missing (make test installs it)."""
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed (make deb-test installs it)")
    return path


def wait_http(url: str, timeout: float = 20) -> None:
    """Wait until `url` answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come up"
        time.sleep(0.1)


@contextmanager
def process(args: list[str], log: Path, ready_url: str, env: dict | None = None) -> Iterator[subprocess.Popen]:
    """Run a peer until the block ends; its output goes to `log` (shown when it fails to start)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        try:
            wait_http(ready_url)
        except AssertionError:
            raise AssertionError(f"{args[0]} did not start: {log.read_text()[-2000:]}") from None
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def node_exporter(tmp: Path) -> Iterator[str]:
    """A node-exporter; yields its host:port."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    args = [need("prometheus-node-exporter"), f"--web.listen-address={address}"]
    with process(args, tmp / "node-exporter.log", f"http://{address}/metrics"):
        yield address


@contextmanager
def prometheus(tmp: Path, config: str, *flags: str) -> Iterator[str]:
    """A Prometheus server with the given YAML config; yields its base URL."""
    port = free_port()
    (tmp / "prometheus.yml").write_text(config)
    args = [
        need("prometheus"),
        f"--config.file={tmp / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        *flags,
    ]
    with process(args, tmp / "prometheus.log", f"http://127.0.0.1:{port}/-/ready"):
        yield f"http://127.0.0.1:{port}"


def prometheus_query(base: str, query: str, at: float) -> list[dict]:
    """The result of an instant query on Prometheus' HTTP API."""
    params = urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{base}/api/v1/query?{params}", timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


def wait_scrapes(base: str, job: str, scrapes: int, timeout: float = 60) -> None:
    """Wait until Prometheus has scraped `job` this many times (its first scrape can take seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        result = prometheus_query(base, f'count_over_time(up{{job="{job}"}}[1h])', time.time())
        if result and float(result[0]["value"][1]) >= scrapes:
            return
        assert time.monotonic() < deadline, f"Prometheus did not scrape {job} {scrapes} times"
        time.sleep(0.3)


def select(live, sql: str, **params: object) -> list[tuple]:
    """Rows as stored right now (`{db}` is the test's database); no wait for an idle pipeline,
    which never comes while scrapes keep arriving."""
    return live.store.call(lambda c: c.query(sql.replace("{db}", live.store.database), parameters=params).result_rows)


def wait_rows(live, sql: str, enough, timeout: float = 30, **params: object) -> list[tuple]:
    """Poll a query until `enough(rows)` holds or `timeout` passes; return the last rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = select(live, sql, **params)
        if enough(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)
