"""POST /api/v1/write: the Prometheus remote-write 1.0 receiver.

With native decode on (collector.native_decode), ClickHouse decodes the request itself
(collector/prometheus/direct.py); the Python mapping takes what that path cannot.
Status codes as Prometheus reads them: 204 once the samples are durable; 400 for a body that
cannot be read (Prometheus drops the batch); 429/503 with Retry-After when storage is behind
(Prometheus retries).
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import Counter

from collector.converted import Converted
from collector.otlp.limits import Limits
from collector.otlp.model import InvalidRequest, Route, Signal
from collector.plain_http import hand_off, receive
from collector.prometheus import remote_write
from collector.prometheus.direct import Direct, prepare
from collector.receiver import Receiver

PROTOCOL = "prometheus_remote_write"
# Requests above this are converted in a worker thread so the event loop keeps answering.
_THREAD_BYTES = 1024 * 1024


def convert(
    body: bytes, max_decompressed: int, cache: remote_write.MetadataCache, limits: Limits, direct: bool = False
) -> Converted | Direct:
    """Decompress and parse a remote-write body; raise InvalidRequest when it cannot be read.

    `direct`: return the request for ClickHouse to decode (direct.prepare) unless only the Python
    mapping can take it; otherwise (and then) the OTLP request it maps to.
    """
    data = remote_write.read_body(body, max_decompressed)
    if direct and (prepared := prepare(data, cache, limits)) is not None:
        return prepared
    request = remote_write.parse(data)
    samples = sum(len(ts.samples) for ts in request.timeseries)
    if samples > limits.max_items:
        raise InvalidRequest(
            f"{samples} samples in one request, more than collector.max_items_per_request ({limits.max_items})"
        )
    cache.learn(request)
    return remote_write.to_otlp(request, cache, limits)


def add_remote_write_route(app: web.Application, receiver: Receiver, max_decompressed: int) -> None:
    """Register POST /api/v1/write, with its per-path request counter on the collector's registry."""
    cache = remote_write.MetadataCache()
    paths = Counter(
        "otelhouse_collector_remote_write_requests",
        "remote-write requests read, by the path their samples took: clickhouse (ClickHouse decodes the "
        "WriteRequest) or python (mapped to OTLP in the collector)",
        ["path"],
        registry=receiver.metrics.registry,
    )

    async def handle(request: web.Request, body: bytes) -> web.Response:
        args = (body, max_decompressed, cache, receiver.limits, receiver.native_decode)
        converted = await asyncio.to_thread(convert, *args) if len(body) > _THREAD_BYTES else convert(*args)
        paths.labels("clickhouse" if isinstance(converted, Direct) else "python").inc()
        if isinstance(converted, Direct):
            if converted.samples:
                await receiver.submit(
                    Signal.METRICS, PROTOCOL, converted.body, converted.samples, route=Route.PROMETHEUS
                )
        else:
            await hand_off(receiver, Signal.METRICS, PROTOCOL, converted, checked=True)
        return web.Response(status=204)

    app.router.add_post("/api/v1/write", receive(receiver, Signal.METRICS, PROTOCOL, handle))
