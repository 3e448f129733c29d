"""Build and start the collector: OTLP/HTTP app (with /metrics and health), OTLP/gRPC, the pipeline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from collector.http_server import GuardedRunner
from collector.jaeger.receiver import add_jaeger_route, start_agent
from collector.jsonlines.convert import LineLimits
from collector.logs_http import add_log_routes
from collector.metrics import CollectorMetrics, WalCollector
from collector.otlp.model import Payload
from collector.otlp_grpc import start_grpc_server
from collector.otlp_http import LIMITS_KEY, RECEIVER_KEY, BodyLimits, add_otlp_routes
from collector.pipeline import Pipeline, PipelineSettings, Sink
from collector.priority import favour_event_loop
from collector.prometheus.remote_write_http import add_remote_write_route
from collector.prometheus.scheduler import Scraper
from collector.receiver import Receiver
from collector.wal.log import WriteAheadLog
from otelhouse.config import CollectorSettings, Settings
from otelhouse.health import READY_CHECKS_KEY, READY_INFO_KEY, add_health_routes
from otelhouse.secrets import Lookup
from storage import Store
from storage.writer import write_payloads

log = logging.getLogger(__name__)
PIPELINE_KEY = web.AppKey("pipeline", Pipeline)
METRICS_KEY = web.AppKey("metrics", CollectorMetrics)  # other parts in the process add their metrics here
Stopper = Callable[[], Awaitable[None]]


def pipeline_settings(c: CollectorSettings) -> PipelineSettings:
    return PipelineSettings(
        batch_items=c.batch_items,
        batch_bytes=c.batch_bytes,
        # with the log, acknowledgement waits only for the log's fsync: the insert may wait for more data
        batch_age_s=(c.wal_batch_age_ms if c.wal_enabled else c.batch_age_ms) / 1000,
        max_queue_bytes=c.max_queue_bytes,
        retry_after_s=c.retry_after_s,
        stop_grace_s=c.stop_grace_s,
        background_nice=c.background_nice,
    )


# The embedded engine shares the cores with the collector's event loop and writer threads: one
# ClickHouse thread per insert stores 10-15% more end to end than two (docs/performance.md).
EMBEDDED_INSERT_THREADS = 1


def store_sink(store: Store) -> Sink:
    """Write a batch through the store's per-thread client; storage errors come out as StoreErrors."""
    threads = EMBEDDED_INSERT_THREADS if store.target.kind == "chdb" else 0

    def sink(payloads: list[Payload], token: str) -> Mapping[int, str]:
        store.check_space()
        return store.call(lambda client: write_payloads(client, store.opts, payloads, token, threads, store.errors))

    return sink


def create_app(settings: Settings, store: Store, receiver: Receiver) -> web.Application:
    """The collector's HTTP app: OTLP, JSON-lines and Loki routes (when enabled), /metrics, /healthz, /readyz."""
    c = settings.collector
    # auto_decompress off: transport.decompress enforces max_decompressed_bytes (gzip bombs)
    app = web.Application(client_max_size=c.max_body_bytes, handler_args={"auto_decompress": False})
    app[RECEIVER_KEY] = receiver
    add_health_routes(app, store)
    app[PIPELINE_KEY] = receiver.pipeline
    app[METRICS_KEY] = receiver.metrics

    if receiver.pipeline.wal is not None:
        app[READY_INFO_KEY] = [lambda: {"write_ahead_log": receiver.pipeline.wal.stats()}]

    async def pipeline_ready() -> str:
        pipeline = receiver.pipeline
        if not pipeline.store_unavailable():
            return "; ".join(pipeline.problems())
        backlog = f" ({pipeline.wal.backlog_bytes()} bytes waiting in the write-ahead log)" if pipeline.wal else ""
        return f"storage is unavailable; writes are being retried{backlog}"

    app[READY_CHECKS_KEY] = [pipeline_ready]
    app.router.add_get("/metrics", make_aiohttp_handler(receiver.metrics.registry))
    limits = BodyLimits(c.max_body_bytes, c.max_decompressed_bytes, c.body_grace_s, c.body_min_rate_bytes)
    app[LIMITS_KEY] = limits  # every body-reading route admits and reads bodies by these
    if c.http_enabled:
        add_otlp_routes(app, limits)
        line_limits = LineLimits(receiver.limits, c.json_max_line_bytes, c.json_max_depth)
        add_log_routes(app, receiver, line_limits, c.max_decompressed_bytes, c.log_mapping_processes)
    if settings.prometheus.remote_write_enabled:
        add_remote_write_route(app, receiver, c.max_decompressed_bytes)
    if settings.jaeger.http_enabled:
        add_jaeger_route(app, receiver)
    return app


# aiohttp reads and drops, for this long, the rest of a body it did not read (after a 401, 413 or
# 429) before it closes the connection, so the client sees the answer rather than a reset. Short: a
# refused client streaming on costs the event loop that long.
LINGER_S = 1.0


def collector_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The runner for the collector's HTTP app: connection cap and timeouts counted in /metrics."""
    c = settings.collector
    receiver = app[RECEIVER_KEY]
    return GuardedRunner(
        app,
        max_connections=c.max_connections,
        on_event=lambda reason: receiver.client_event("http", reason),
        access_log=None,
        handle_signals=False,
        keepalive_timeout=c.idle_timeout_s,
        lingering_time=LINGER_S,
    )


def _async_close(receiver: Receiver) -> Stopper:
    async def close() -> None:
        await asyncio.to_thread(receiver.close)

    return close


async def start_collector(
    settings: Settings, store: Store, stoppers: list[Stopper], secrets: Lookup | None = None
) -> web.Application:
    """Start the pipeline and the gRPC server; return the HTTP app for the caller to serve.

    Appends to `stoppers` what must run at shutdown, in start order (run in reverse). `secrets` gives
    the ingest keys current at each request.
    """
    c = settings.collector
    renicer = favour_event_loop(c.background_nice)

    async def stop_renicer() -> None:
        await asyncio.to_thread(renicer.stop)

    stoppers.append(stop_renicer)
    metrics = CollectorMetrics()
    cfg = pipeline_settings(c)
    wal = None
    if c.wal_enabled:
        wal = await asyncio.to_thread(WriteAheadLog, c.wal_dir, cfg, c.wal_max_bytes, c.wal_segment_bytes)
        metrics.registry.register(WalCollector(wal.stats))
    pipeline = Pipeline(store_sink(store), cfg, metrics, wal, store.sync)
    pipeline.start()

    async def stop_pipeline() -> None:
        await asyncio.to_thread(pipeline.stop)
        if wal is not None:
            wal.close()
        log.info("collector pipeline flushed")

    stoppers.append(stop_pipeline)
    if wal is not None:
        # what was accepted before a crash is stored before anything new is accepted
        await wal.replayed()
    receiver = Receiver.from_settings(settings, pipeline, metrics, secrets)
    stoppers.append(_async_close(receiver))
    if c.grpc_enabled:
        server, port = await start_grpc_server(receiver, c)
        log.info(f"collector OTLP/gRPC listening on {c.host}:{port}", extra={"part": "collector", "port": port})

        async def stop_grpc() -> None:
            await server.stop(grace=5)

        stoppers.append(stop_grpc)
    if settings.jaeger.udp_enabled:
        transport, port = await start_agent(receiver, c.host, settings.jaeger.udp_port)
        log.info(f"collector Jaeger agent (UDP) on {c.host}:{port}", extra={"part": "collector", "port": port})

        async def stop_agent() -> None:
            transport.close()

        stoppers.append(stop_agent)
    if settings.prometheus.scrape_jobs:
        scraper = Scraper(settings.prometheus.scrape_jobs, receiver, c.max_decompressed_bytes)
        await scraper.start()
        stoppers.append(scraper.stop)
    return create_app(settings, store, receiver)
