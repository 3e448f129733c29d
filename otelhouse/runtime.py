"""Wire the parts into one process: open the store, start the listeners, stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiohttp import web

from otelhouse.config import Settings
from otelhouse.health import READY_CHECKS_KEY
from storage import Store

log = logging.getLogger("otelhouse")
PARTS = ("collector", "dashboard", "retention")


@dataclass
class Running:
    """What a serving process started, in start order, so it can stop them in reverse."""

    runners: list[web.AppRunner] = field(default_factory=list)
    stoppers: list = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)


async def _serve_app(app: web.Application, host: str, port: int, running: Running, name: str) -> None:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    running.runners.append(runner)
    bound = runner.addresses[0][1] if runner.addresses else port
    running.ports[name] = bound
    log.info(f"{name} listening on http://{host}:{bound}", extra={"part": name, "port": bound})


async def start_parts(settings: Settings, store: Store, parts: Iterable[str]) -> Running:
    """Start the named parts on the shared store; return what to stop later."""
    from collector.app import METRICS_KEY, start_collector
    from dashboard.app import create_app as create_dashboard
    from retention.health import RetentionCollector
    from retention.scheduler import start_retention

    running = Running()
    parts = set(parts)
    retention = None
    if "retention" in parts and settings.retention.enabled:
        retention = start_retention(settings, store)
        running.stoppers.append(_async(retention.stop))
        log.info("retention scheduler running", extra={"part": "retention"})
    if "collector" in parts:
        app = await start_collector(settings, store, running.stoppers)
        if retention is not None:
            app[METRICS_KEY].registry.register(RetentionCollector(retention.health))
            _add_ready_check(app, retention.health.problem)
        await _serve_app(app, settings.collector.host, settings.collector.http_port, running, "collector")
    if "dashboard" in parts:
        app = create_dashboard(settings, store)
        if retention is not None:
            _add_ready_check(app, retention.health.problem)
        await _serve_app(app, settings.dashboard.host, settings.dashboard.port, running, "dashboard")
    return running


def _add_ready_check(app: web.Application, problem) -> None:
    """Make an app's /readyz report a part's problem (e.g. failing retention runs)."""

    async def check() -> str:
        return problem()

    if READY_CHECKS_KEY in app:
        app[READY_CHECKS_KEY].append(check)
    else:
        app[READY_CHECKS_KEY] = [check]


def _async(fn):
    async def call() -> None:
        fn()

    return call


async def stop_parts(running: Running) -> None:
    """Stop listeners first (no new work), then flush and stop the rest, in reverse start order."""
    for runner in reversed(running.runners):
        await runner.cleanup()
    for stop in reversed(running.stoppers):
        await stop()


async def serve(settings: Settings, parts: Iterable[str], no_demo: bool = False) -> None:
    """Run the parts until SIGINT or SIGTERM, then stop cleanly (batches flushed, store closed)."""
    from demo.command import collector_endpoint
    from demo.process import DemoProcess, demo_wanted

    store = await asyncio.to_thread(Store.open, settings)
    try:
        applied = await asyncio.to_thread(store.migrate)
        if applied:
            log.info("schema migrated", extra={"applied": ",".join(applied)})
        running = await start_parts(settings, store, parts)
        demo = None
        if "collector" in running.ports and demo_wanted(settings, no_demo):
            demo = DemoProcess(collector_endpoint(settings, running.ports["collector"]))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info("otelhouse ready", extra={"env": settings.env, "store": store.target.describe()})
        await stop.wait()
        log.info("stopping")
        if demo is not None:  # first, while the collector still takes what it flushes
            await asyncio.to_thread(demo.stop)
        await stop_parts(running)
    finally:
        await asyncio.to_thread(store.close)
    log.info("stopped")
