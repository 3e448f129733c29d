"""A real collector (OTLP/HTTP + OTLP/gRPC) on its own event-loop thread, over the test's store.

The OpenTelemetry SDK exporters are synchronous, so the collector runs on another thread's loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from collector.app import PIPELINE_KEY
from otelhouse.config import Settings
from otelhouse.runtime import Running, start_parts, stop_parts
from storage import Store
from tests.conftest import free_port, make_settings


@dataclass
class LiveCollector:
    settings: Settings
    store: Store
    http_port: int
    grpc_port: int
    running: Running
    loop: asyncio.AbstractEventLoop

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def app(self) -> web.Application:
        return self.running.runners[0].app

    def wait_stored(self, timeout: float = 30) -> None:
        """Wait until everything acknowledged is in ClickHouse (acks come once data is in the log)."""
        pipeline = self.app()[PIPELINE_KEY]
        deadline = time.monotonic() + timeout
        while not pipeline.idle():
            assert time.monotonic() < deadline, "acknowledged data was not stored in time"
            time.sleep(0.02)

    def query(self, sql: str, **params: object) -> list[tuple]:
        """Read rows back from ClickHouse once acknowledged data is stored (`{db}` is the test's database)."""
        self.wait_stored()
        return self.store.call(
            lambda c: c.query(sql.replace("{db}", self.store.database), parameters=params).result_rows
        )


def start_live_collector(chdb_path, store: Store, database: str, **env: str) -> Iterator[LiveCollector]:
    # a test may choose the HTTP port (to scrape the collector's own /metrics)
    http_port, grpc_port = int(env.pop("OTELHOUSE_COLLECTOR_HTTP_PORT", 0)) or free_port(), free_port()
    env.setdefault("OTELHOUSE_COLLECTOR_WAL_DIR", str(chdb_path.parent / f"wal-{database}-{http_port}"))
    settings = make_settings(
        chdb_path,
        database,
        OTELHOUSE_COLLECTOR_HOST="127.0.0.1",
        OTELHOUSE_COLLECTOR_HTTP_PORT=str(http_port),
        OTELHOUSE_COLLECTOR_GRPC_PORT=str(grpc_port),
        OTELHOUSE_COLLECTOR_BATCH_AGE_MS="50",
        **env,
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="collector-loop", daemon=True)
    thread.start()
    running = asyncio.run_coroutine_threadsafe(start_parts(settings, store, ["collector"]), loop).result(30)
    try:
        yield LiveCollector(settings, store, http_port, grpc_port, running, loop)
    finally:
        asyncio.run_coroutine_threadsafe(stop_parts(running), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def live(chdb_path, store: Store, database: str) -> Iterator[LiveCollector]:
    yield from start_live_collector(chdb_path, store, database)
