"""Fixtures for the Grafana tests: three hours of the demo shop written through a live collector."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from clickhouse_connect.driver import Client

from demo.backfill import backfill_range
from storage import Store
from storage.connect import open_client
from tests.collector.conftest import LiveCollector
from tests.dashboard.conftest import live_database
from tests.grafana.macros import Panel

HOURS = 3


@dataclass
class Shop:
    client: Client  # its current database is the shop's, as the datasource's defaultDatabase makes it
    panel: Panel  # the range the dashboards are queried over
    exposition: str  # the collector's /metrics text after the backfill


def write_demo_shop(live: LiveCollector, hours: int) -> str:
    """Send the last `hours` of the demo shop through the live collector; return its /metrics text afterwards."""
    end = time.time() // 60 * 60
    backfill_range(live.http_url, {}, end - hours * 3600, end, visits_per_second=0.3, seed=5, sample=0.3)
    live.wait_stored()
    with urllib.request.urlopen(f"{live.http_url}/metrics", timeout=30) as res:
        return res.read().decode()


@pytest.fixture(scope="session")
def shop(engine: Store, chdb_path) -> Iterator[Shop]:
    """A database of its own holding three hours of the demo shop (all signals), and a client using it."""
    with live_database(engine, chdb_path) as (store, _settings, live):
        exposition = write_demo_shop(live, HOURS)
        client = open_client(store.target)
        client.command(f"USE {store.database}")
        now_ms = int(time.time() * 1000)
        try:
            yield Shop(client, Panel(now_ms - (HOURS + 1) * 3600_000, now_ms, 60_000), exposition)
        finally:
            client.close()
