"""The start page: copy-paste SDK settings and what arrived in the last hour, read from ClickHouse."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lpb

from collector.otlp.decode import decode_protobuf
from collector.otlp.model import Signal
from dashboard.app import create_app
from otelhouse.config import Settings
from storage import Store
from storage.writer import write_payloads
from tests.collector.test_http_errors import span_request
from tests.dashboard.conftest import serve


def ingest(store: Store, signal: Signal, body: bytes) -> None:
    result = decode_protobuf(signal, body)
    assert result.payload is not None
    store.call(lambda c: write_payloads(c, store.opts, [result.payload], f"t-{time.time_ns()}"))


def log_request(service: str, n: int) -> bytes:
    req = lpb.ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service
    for i in range(n):
        rl.scope_logs.add().log_records.add(
            time_unix_nano=time.time_ns(), severity_number=9
        ).body.string_value = f"line {i}"
    return req.SerializeToString()


async def test_start_page_lists_arrivals_per_service_and_signal(aiohttp_client, store: Store, settings: Settings):
    ingest(store, Signal.TRACES, span_request(3, service="checkout").SerializeToString())
    ingest(store, Signal.LOGS, log_request("<script>alert(1)</script>", 2))
    client = await aiohttp_client(create_app(settings, store))

    data = await (await client.get("/api/start")).json()
    assert [(a["service"], a["signal"], a["items"]) for a in data["arrivals"]] == [
        ("checkout", "traces", 3),
        ("<script>alert(1)</script>", "logs", 2),
    ]
    assert data["http_endpoint"].endswith(":4318") and data["auth"] is False

    page = await client.get("/start")
    html = await page.text()
    assert page.status == 200
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert (await client.get("/", allow_redirects=False)).headers["Location"] == "/services"  # data exists


async def test_start_page_shows_auth_header_when_keys_are_on(aiohttp_client, chdb_path, store: Store, database):
    from tests.conftest import make_settings

    settings = make_settings(chdb_path, database, OTELHOUSE_COLLECTOR_API_KEYS="k-123456")
    html = await (await (await aiohttp_client(create_app(settings, store))).get("/start")).text()
    assert 'OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer YOUR_INGEST_KEY"' in html
    assert "k-123456" not in html
    assert 'id="nothing-yet"' in html
    home = await (await aiohttp_client(create_app(settings, store))).get("/", allow_redirects=False)
    assert home.headers["Location"] == "/start"  # nothing stored yet


@pytest.fixture
def served(store: Store, settings: Settings) -> Iterator[str]:
    """The dashboard on a real port, on its own loop thread (the browser is another process)."""
    yield from serve(create_app(settings, store))


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is installed by `make test`")
def test_start_page_in_chromium(served: str, store: Store, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    ingest(store, Signal.TRACES, span_request(5, service="frontend").SerializeToString())
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(served + "/start")
        assert "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf" in page.inner_text("#env-http")
        assert "OTEL_EXPORTER_OTLP_PROTOCOL=grpc" in page.inner_text("#env-grpc")
        rows = page.locator("#arrivals tbody tr")
        assert rows.count() == 1
        assert rows.first.inner_text().split("\t")[:3] == ["frontend", "traces", "5"]
        page.screenshot(path=str(tmp_path / "start.png"), full_page=True)
        browser.close()
    assert not errors
