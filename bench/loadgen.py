"""A load generator process: sends prebuilt OTLP requests with K in flight, honouring back-pressure."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp
import grpc

from bench.workload import bodies, fresh_bodies

GRPC_METHODS = {
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}
# routes other than OTLP's /v1/{signal}, with the headers their requests carry
HTTP_ROUTES = {
    "jsonlines": ("/v1/logs/json", {"Content-Type": "application/x-ndjson", "X-Service-Name": "bench-logrus"}),
}
RETRYABLE_GRPC = (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE)


@dataclass
class Tally:
    acked_items: int = 0
    acked_requests: int = 0
    refused: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)


async def _http_worker(session, url, headers, payloads, deadline, tally, offset) -> None:
    i = offset
    while time.monotonic() < deadline:
        make, items = payloads[i % len(payloads)]
        i += 1
        body = make()
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            if response.status == 200:
                tally.acked_items += items
                tally.acked_requests += 1
                tally.latencies.append(time.perf_counter() - started)
            elif response.status in (429, 503):
                tally.refused += 1
                await asyncio.sleep(min(float(response.headers.get("Retry-After", "1")), 0.5))
            else:
                tally.failed += 1


async def _grpc_worker(call, payloads, deadline, tally, offset) -> None:
    i = offset
    while time.monotonic() < deadline:
        make, items = payloads[i % len(payloads)]
        i += 1
        body = make()
        started = time.perf_counter()
        try:
            await call(body, timeout=60)
            tally.acked_items += items
            tally.acked_requests += 1
            tally.latencies.append(time.perf_counter() - started)
        except grpc.aio.AioRpcError as err:
            if err.code() in RETRYABLE_GRPC:
                tally.refused += 1
                await asyncio.sleep(0.5)
            else:
                tally.failed += 1


async def _run(protocol, target, signal, payloads, concurrency, seconds) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    if protocol == "http":
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            path, headers = HTTP_ROUTES.get(signal, (f"/v1/{signal}", {"Content-Type": "application/x-protobuf"}))
            url = f"{target}{path}"
            await asyncio.gather(
                *(_http_worker(session, url, headers, payloads, deadline, tally, k) for k in range(concurrency))
            )
    else:
        options = [("grpc.max_send_message_length", 64 * 1024 * 1024)]
        async with grpc.aio.insecure_channel(target, options=options) as channel:
            call = channel.unary_unary(GRPC_METHODS[signal], request_serializer=None, response_deserializer=None)
            await asyncio.gather(*(_grpc_worker(call, payloads, deadline, tally, k) for k in range(concurrency)))
    return tally


def generate(
    protocol: str,
    target: str,
    signal: str,
    items_per_request: int,
    concurrency: int,
    seconds: float,
    seed: int,
    fresh: bool = False,
) -> Tally:
    """Entry point of a generator process: build requests, send them for `seconds`, return the tally.

    fresh: every request gets new trace and span ids; otherwise 16 prebuilt requests are replayed.
    """
    if fresh:
        payloads = fresh_bodies(signal, items_per_request, 16, seed)
    else:
        payloads = [(body.__bytes__, n) for body, n in bodies(signal, items_per_request, 16, seed=seed)]
    return asyncio.run(_run(protocol, target, signal, payloads, concurrency, seconds))
