"""Build and start the collector: OTLP/HTTP app (with /metrics and health), OTLP/gRPC, the pipeline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from collector.metrics import CollectorMetrics, WalCollector
from collector.otlp.model import Payload
from collector.otlp_grpc import start_grpc_server
from collector.otlp_http import add_otlp_routes
from collector.pipeline import Pipeline, PipelineSettings, Sink
from collector.receiver import Receiver
from collector.wal.log import WriteAheadLog
from otelhouse.config import CollectorSettings, Settings
from otelhouse.health import READY_CHECKS_KEY, READY_INFO_KEY, add_health_routes
from storage import Store
from storage.writer import write_payloads

log = logging.getLogger(__name__)
PIPELINE_KEY = web.AppKey("pipeline", Pipeline)
Stopper = Callable[[], Awaitable[None]]


def pipeline_settings(c: CollectorSettings) -> PipelineSettings:
    return PipelineSettings(
        batch_items=c.batch_items,
        batch_bytes=c.batch_bytes,
        batch_age_s=c.batch_age_ms / 1000,
        max_queue_bytes=c.max_queue_bytes,
        retry_after_s=c.retry_after_s,
        stop_grace_s=c.stop_grace_s,
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
    """The collector's HTTP app: OTLP routes (when enabled), /metrics, /healthz, /readyz."""
    c = settings.collector
    # auto_decompress off: transport.decompress enforces max_decompressed_bytes (gzip bombs)
    app = web.Application(client_max_size=c.max_body_bytes, handler_args={"auto_decompress": False})
    add_health_routes(app, store)
    app[PIPELINE_KEY] = receiver.pipeline

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
    if c.http_enabled:
        add_otlp_routes(app, receiver, c.max_body_bytes, c.max_decompressed_bytes)
    return app


async def start_collector(settings: Settings, store: Store, stoppers: list[Stopper]) -> web.Application:
    """Start the pipeline and the gRPC server; return the HTTP app for the caller to serve.

    Appends to `stoppers` what must run at shutdown, in start order (run in reverse).
    """
    c = settings.collector
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
    receiver = Receiver.from_settings(settings, pipeline, metrics)
    if c.grpc_enabled:
        server, port = await start_grpc_server(receiver, c.host, c.grpc_port, c.grpc_max_message_bytes)
        log.info(f"collector OTLP/gRPC listening on {c.host}:{port}", extra={"part": "collector", "port": port})

        async def stop_grpc() -> None:
            await server.stop(grace=5)

        stoppers.append(stop_grpc)
    return create_app(settings, store, receiver)
