"""Fixtures for dashboard tests: one world of telemetry seeded once per session through a live collector."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from aiohttp import web

from dashboard.app import create_app
from otelhouse.config import Settings
from storage import Store, schema_options
from tests.collector.conftest import LiveCollector, start_live_collector
from tests.conftest import free_port, make_settings
from tests.dashboard.seed import Seeded, seed_logs, seed_traces


@dataclass
class World:
    store: Store
    settings: Settings
    seeded: Seeded
    live: LiveCollector

    @property
    def http_url(self) -> str:
        return self.live.http_url


@contextmanager
def live_database(engine: Store, chdb_path) -> Iterator[tuple[Store, Settings, LiveCollector]]:
    """A migrated database of its own with a live collector writing to it; dropped afterwards."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    settings = make_settings(chdb_path, database)
    store = Store(engine.target, schema_options(settings, database))
    store.migrate()
    gen = start_live_collector(chdb_path, store, database)
    try:
        yield store, settings, next(gen)
    finally:
        gen.close()
        store.call(lambda c: c.command(f"DROP DATABASE IF EXISTS {database}"))
        store.close()


@pytest.fixture(scope="session")
def world(engine: Store, chdb_path) -> Iterator[World]:
    """One database with the three-service scenario's traces and logs, written through a live collector."""
    with live_database(engine, chdb_path) as (store, settings, live):
        seeded = seed_traces(live.http_url)
        seed_logs(live.http_url, seeded)
        live.wait_stored()
        yield World(store, settings, seeded, live)


def serve(app: web.Application) -> Iterator[str]:
    """Serve an app on a free loopback port from its own loop thread; yield its base URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(app)
    asyncio.run_coroutine_threadsafe(runner.setup(), loop).result(10)
    asyncio.run_coroutine_threadsafe(web.TCPSite(runner, "127.0.0.1", port).start(), loop).result(10)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture(scope="session")
def dashboard_url(world: World) -> Iterator[str]:
    yield from serve(create_app(world.settings, world.store))
