"""Run every scrape job's targets on their intervals, each target in a task of its own.

A slow or dead target only delays itself: each target has its own loop and a timeout under its
interval. Targets start at offsets spread over the interval (a hash of job and address, as
Prometheus does), so scrapes do not all fire at once. A target loop never dies on an error: it
logs, counts and goes on at the next tick.
"""

from __future__ import annotations

import asyncio
import logging
import math
import zlib

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Histogram

from collector.otlp.model import Signal
from collector.prometheus.scrape import ScrapeFailed, TargetState, scrape
from collector.receiver import Receiver
from otelhouse.config.scrape import ScrapeJob

log = logging.getLogger(__name__)
PROTOCOL = "prometheus_scrape"


def spread_offset(job: str, address: str, interval: float) -> float:
    """Where in the interval this target's scrapes fall: stable per target, spread across targets."""
    return (zlib.crc32(f"{job}/{address}".encode()) % 10_000) / 10_000 * interval


def missed_ticks(now: float, next_at: float, interval: float) -> int:
    """How many scheduled scrapes passed while the last one ran (0 when on time)."""
    return 0 if now < next_at else math.floor((now - next_at) / interval) + 1


class ScrapeMetrics:
    """The scraper's own series on the collector's /metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        p = "otelhouse_collector_"
        self.scrapes = Counter(p + "scrapes", "Scrapes by job and outcome", ["job", "outcome"], registry=registry)
        self.missed = Counter(
            p + "scrapes_missed", "Scheduled scrapes skipped: the last ran late", ["job"], registry=registry
        )
        self.lag = Histogram(
            p + "scrape_lag_seconds",
            "How late a scrape started after its scheduled time",
            buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
            registry=registry,
        )


class Scraper:
    """Scrapes the configured jobs' targets and hands each scrape to the receiver as OTLP metrics."""

    def __init__(self, jobs: tuple[ScrapeJob, ...], receiver: Receiver, max_bytes: int) -> None:
        self.states = [TargetState(job, address) for job in jobs for address in job.targets]
        self.receiver = receiver
        self.max_bytes = max_bytes
        self.metrics = ScrapeMetrics(receiver.metrics.registry)
        self.tasks: list[asyncio.Task] = []
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # one connection per target is plenty; keep-alive saves a handshake per scrape
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), auto_decompress=True)
        self.tasks = [asyncio.create_task(self._run(state), name=f"scrape {state.url}") for state in self.states]
        log.info("scraping", extra={"targets": len(self.states), "part": "collector"})

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.session is not None:
            await self.session.close()

    async def _run(self, state: TargetState) -> None:
        loop = asyncio.get_running_loop()
        interval = state.job.interval_s
        next_at = loop.time() + spread_offset(state.job.name, state.address, interval)
        failing = False
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            self.metrics.lag.observe(max(0.0, loop.time() - next_at))
            failing = await self._scrape_once(state, failing)
            next_at += interval
            if missed := missed_ticks(loop.time(), next_at, interval):
                self.metrics.missed.labels(state.job.name).inc(missed)
                next_at += missed * interval

    async def _scrape_once(self, state: TargetState, failing: bool) -> bool:
        """Scrape and store once; return whether the target is failing (logged on change only)."""
        assert self.session is not None
        job = state.job.name
        try:
            body = await scrape(self.session, state, self.max_bytes)
            self.metrics.scrapes.labels(job, "ok").inc()
            if failing:
                log.info("scrape target is back", extra={"job": job, "target": state.url})
            failing = False
        except ScrapeFailed as exc:
            body = exc.body
            self.metrics.scrapes.labels(job, "failed").inc()
            if not failing:
                log.warning("scrape failed", extra={"job": job, "target": state.url, "error": str(exc)})
            failing = True
        except Exception:
            self.metrics.scrapes.labels(job, "error").inc()
            log.exception("scrape crashed; retrying at the next interval", extra={"job": job, "target": state.url})
            return True
        try:
            await self.receiver.ingest(Signal.METRICS, PROTOCOL, "protobuf", body)
        except Exception as exc:
            # a scrape cannot be retried later (the next one brings fresh values): count and go on
            self.metrics.scrapes.labels(job, "not_stored").inc()
            log.warning("scrape not stored", extra={"job": job, "target": state.url, "error": str(exc)})
        return failing
