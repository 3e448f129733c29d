"""Wire the parts into one process: open the store, start the listeners, stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from otelhouse.config import Settings
from otelhouse.health import READY_CHECKS_KEY
from otelhouse.logs import redact_also
from otelhouse.secrets import SecretFiles, SecretsCollector
from otelhouse.stakeholders import Stakeholders, load_stakeholders
from storage import Store

log = logging.getLogger("otelhouse")
PARTS = ("collector", "dashboard", "retention")
RunnerFactory = Callable[[web.Application], web.AppRunner]


class StartupError(Exception):
    """A part could not start (a port in use, an address not available): one line for the user."""


@dataclass
class Running:
    """What a serving process started, in start order, so it can stop them in reverse."""

    runners: list[web.AppRunner] = field(default_factory=list)
    stoppers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)


def bind_problem(exc: OSError, host: str, port: int, setting: str) -> StartupError:
    """Name the address, the setting that chose it and the reason, in one line."""
    reasons = {
        errno.EADDRINUSE: "address already in use",
        errno.EACCES: "permission denied (ports below 1024 need privileges)",
        errno.EADDRNOTAVAIL: "address not available on this machine",
    }
    reason = reasons.get(exc.errno or 0) or exc.strerror or str(exc)
    return StartupError(f"cannot listen on {host}:{port} ({setting}): {reason}")


async def _serve_app(runner: web.AppRunner, host: str, port: int, running: Running, name: str, setting: str) -> None:
    running.runners.append(runner)  # registered first: a failed bind still gets its app cleaned up
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        raise bind_problem(exc, host, port, setting) from None
    bound = runner.addresses[0][1] if runner.addresses else port
    running.ports[name] = bound
    log.info(f"{name} listening on http://{host}:{bound}", extra={"part": name, "port": bound})


async def start_parts(
    settings: Settings,
    store: Store,
    parts: Iterable[str],
    stakeholders: Stakeholders | None = None,
    secrets: SecretFiles | None = None,
) -> Running:
    """Start the named parts on the shared store; return what to stop later.

    With `secrets`, the parts use the secrets current at each use (they rotate). If one part cannot
    start, what did start is stopped again before the error goes up.
    """
    running = Running()
    try:
        await _start(settings, store, set(parts), running, stakeholders, secrets or SecretFiles(settings))
    except BaseException:
        await stop_parts(running)
        raise
    return running


def _plain_runner(app: web.Application) -> web.AppRunner:
    return web.AppRunner(app, access_log=None, handle_signals=False)


async def _start(
    settings: Settings,
    store: Store,
    parts: set[str],
    running: Running,
    stakeholders: Stakeholders | None,
    secrets: SecretFiles,
) -> None:
    from collector.app import METRICS_KEY, collector_runner, start_collector
    from collector.otlp_grpc import GrpcBindError
    from dashboard.app import create_app as create_dashboard
    from dashboard.auth.state import AUTH_KEY, startup_problem
    from dashboard.edge_job import EdgeJob, EdgeJobCollector
    from retention.health import RetentionCollector
    from retention.scheduler import start_retention

    c, d = settings.collector, settings.dashboard
    problem = startup_problem(settings) if "dashboard" in parts else ""
    if problem:  # before anything starts
        raise StartupError(f"dashboard: {problem}")
    retention = collector_app = None
    if "retention" in parts and settings.retention.enabled:
        retention = start_retention(settings, store, secrets.current)
        running.stoppers.append(_async(retention.stop))
        log.info("retention scheduler running", extra={"part": "retention"})
    if "collector" in parts:
        try:
            app = collector_app = await start_collector(settings, store, running.stoppers, secrets.current)
        except GrpcBindError as exc:
            raise bind_problem(exc, c.host, c.grpc_port, "collector.grpc_port") from None
        app[METRICS_KEY].registry.register(SecretsCollector(secrets))
        if retention is not None:
            app[METRICS_KEY].registry.register(RetentionCollector(retention.health))
            _add_ready_check(app, retention.health.problem)
        await _serve_app(
            collector_runner(app, settings), c.host, c.http_port, running, "collector", "collector.http_port"
        )
    if "dashboard" in parts:
        app = create_dashboard(settings, store, stakeholders, secrets=secrets.current)
        edges = EdgeJob(store)  # the service map's per-minute rollup (storage/queries/edges.py)
        _add_ready_check(app, edges.health.problem)
        if collector_app is not None:  # the dashboard's login and refusal counters join the collector's /metrics
            collector_app[METRICS_KEY].registry.register(app[AUTH_KEY].metrics.registry)
            collector_app[METRICS_KEY].registry.register(EdgeJobCollector(edges.health))
        if retention is not None:
            _add_ready_check(app, retention.health.problem)
        await _serve_app(_plain_runner(app), d.host, d.port, running, "dashboard", "dashboard.port")
        edges.start()  # once the dashboard listens: a part that fails to start leaves no run behind
        running.stoppers.append(edges.stop)


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

    parts = tuple(parts)
    # an invalid stakeholders file stops start-up before anything opens (StakeholdersError names the place)
    stakeholders = load_stakeholders(settings.dashboard.stakeholders_file) if "dashboard" in parts else None
    secrets = SecretFiles(settings)
    secrets.on_change.append(lambda _key, value: redact_also(value if isinstance(value, tuple) else (value,)))
    store = await asyncio.to_thread(Store.open, settings, secrets.current)
    watcher = asyncio.create_task(secrets.watch())
    try:
        applied = await asyncio.to_thread(store.migrate)
        if applied:
            log.info("schema migrated", extra={"applied": ",".join(applied)})
        running = await start_parts(settings, store, parts, stakeholders, secrets)
        demo = None
        if "collector" in running.ports and demo_wanted(settings, no_demo):
            demo = DemoProcess(collector_endpoint(settings, running.ports["collector"]))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: secrets.poll(force=True))  # re-read every secret file now
        log.info("otelhouse ready", extra={"env": settings.env, "store": store.target.describe()})
        await stop.wait()
        log.info("stopping")
        if demo is not None:  # first, while the collector still takes what it flushes
            await asyncio.to_thread(demo.stop)
        await stop_parts(running)
    finally:
        watcher.cancel()
        await asyncio.to_thread(store.close)
    log.info("stopped")
