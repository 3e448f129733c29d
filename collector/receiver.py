"""What every receiver does with a request once transport is dealt with: decode, count, queue."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from collector.budget import ByteBudget, Reservation
from collector.metrics import CollectorMetrics
from collector.otlp.decode import DEFAULT_LIMITS, decode_message, decode_protobuf
from collector.otlp.json_codec import parse_json
from collector.otlp.limits import Limits
from collector.otlp.model import DecodeResult, Payload, Route, Signal
from collector.pipeline import Pipeline, Refused
from collector.transport import decompress
from otelhouse.config import Settings
from otelhouse.secrets import Lookup, fixed

log = logging.getLogger(__name__)
# Bodies above this are decoded off the event loop, one at a time on one thread: a decode holds the
# GIL almost throughout, so a second thread would add no throughput, only a second GIL holder the loop
# queues behind, and a holder the kernel preempts stalls the loop until it runs again (a burst of
# large gRPC messages decoded on the default pool's six threads held /healthz up 100-200 ms;
# docs/performance.md, "Issue 9 over gRPC").
_THREAD_DECODE_BYTES = 1024 * 1024
T = TypeVar("T")


@dataclass
class Workers:
    """A thread pool started at first use."""

    threads: int
    name: str
    _executor: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)


def decode_body(signal: Signal, fmt: str, body: bytes, limits: Limits = DEFAULT_LIMITS) -> DecodeResult:
    """Decode an OTLP request body in either wire format; raise InvalidRequest if it cannot be read."""
    if fmt == "json":
        return decode_message(signal, parse_json(signal, body), limits)
    return decode_protobuf(signal, body, limits)


def decode_large_body(signal: Signal, fmt: str, body: bytes, limits: Limits = DEFAULT_LIMITS) -> DecodeResult:
    """decode_body, plus the payload's CRC-32 for the write-ahead log, so the event loop reads the body once
    less (zlib releases the GIL while it sums)."""
    result = decode_body(signal, fmt, body, limits)
    if result.payload is None:
        return result
    payload = dataclasses.replace(result.payload, body_crc=zlib.crc32(result.payload.body))
    return dataclasses.replace(result, payload=payload)


def limits_from(settings: Settings) -> Limits:
    """The per-request limits configured in collector.* (and the table TTLs the retention policy sets)."""
    c = settings.collector
    ttl = settings.retention.table_ttl_days()
    return Limits(
        max_items=c.max_items_per_request,
        max_attributes=c.max_attributes_per_item,
        max_value_length=c.max_attribute_value_length,
        max_name_length=c.max_name_length,
        max_body_length=c.max_log_body_length,
        max_depth=c.max_anyvalue_depth,
        max_future_s=c.max_future_timestamp_s,
        ttl_days={s: ttl[s.value] for s in Signal},
    )


@dataclass
class Receiver:
    """The shared ingest step: decode, account, and hand the payload to the pipeline."""

    pipeline: Pipeline
    metrics: CollectorMetrics
    api_keys: Callable[[], tuple[str, ...]]  # read per request: a key removed from its file is refused at once
    native_decode: bool = True
    limits: Limits = DEFAULT_LIMITS
    max_concurrent: int = 1024
    retry_after_s: int = 5
    budget: ByteBudget = field(default_factory=lambda: ByteBudget(512 * 1024 * 1024))
    decompress_threads: int = 1
    in_flight: int = field(default=0, init=False)
    _decompressor: Workers = field(init=False, repr=False)
    _decoder: Workers = field(default_factory=lambda: Workers(1, "decode"), init=False, repr=False)

    def __post_init__(self) -> None:
        self.metrics.body_bytes_held.set_function(lambda: self.budget.held)
        self._decompressor = Workers(self.decompress_threads, "decompress")

    @classmethod
    def from_settings(
        cls, settings: Settings, pipeline: Pipeline, metrics: CollectorMetrics, secrets: Lookup | None = None
    ) -> Receiver:
        """A receiver with the configured ingest keys (current ones from `secrets`), route and limits."""
        c = settings.collector
        current = secrets or fixed(settings)
        return cls(
            pipeline,
            metrics,
            lambda: current("collector.api_keys"),
            c.native_decode,
            limits_from(settings),
            c.max_concurrent_requests,
            c.retry_after_s,
            ByteBudget(c.max_inflight_body_bytes, c.retry_after_s),
            c.decompress_threads,
        )

    def client_event(self, protocol: str, reason: str) -> None:
        """Count a client-side event (disconnect, stall, refused connection): the client's doing, not ours."""
        self.metrics.client_events.labels(protocol, reason).inc()
        log.debug("client event", extra={"protocol": protocol, "reason": reason})

    async def decompress(self, body: bytes, encoding: str | None, limit: int, reservation: Reservation) -> bytes:
        """Decompress on a small thread pool, so bombs cannot stall the event loop; output joins the budget."""
        if not encoding or encoding.strip().lower() == "identity":
            return body
        return await self._decompressor.run(decompress, body, encoding, limit, reservation.take)

    def close(self) -> None:
        """Stop the decompression and decode threads."""
        self._decompressor.close()
        self._decoder.close()

    def _enter(self) -> None:
        # Receivers run on one event loop, so a plain counter is the semaphore; refusing at once
        # (rather than queueing) bounds memory held by requests waiting their turn.
        if self.in_flight >= self.max_concurrent:
            raise Refused(
                f"more than collector.max_concurrent_requests ({self.max_concurrent}) requests in flight; retry later",
                self.retry_after_s,
                overloaded=True,
            )
        self.in_flight += 1

    async def ingest(self, signal: Signal, protocol: str, fmt: str, body: bytes) -> DecodeResult:
        """Decode and store a request; return the result for the response (raises ingest errors)."""
        self._enter()
        try:
            return await self._ingest(signal, protocol, fmt, body)
        finally:
            self.in_flight -= 1

    async def submit(
        self,
        signal: Signal,
        protocol: str,
        body: bytes,
        items: int,
        truncated: int = 0,
        repaired: int = 0,
        *,
        route: Route | None = None,
    ) -> None:
        """Store a body a receiver built and checked against `limits` itself (remote_write, log lines).

        An OTLP body's values are all scalars by construction, so it takes the flat route (or Python's
        when native decode is off) without a second parse; `route` names another (Route.PROMETHEUS).
        `truncated` and `repaired` count the strings the builder cut to their limits or repaired
        (invalid UTF-8), as the OTLP decode counts its own.
        """
        self._enter()
        try:
            if truncated:
                self.metrics.values_truncated.labels(signal).inc(truncated)
            if repaired:
                self.metrics.strings_repaired.labels(signal).inc(repaired)
            route = route or (Route.FLAT if self.native_decode else Route.PYTHON)
            self.metrics.items_received.labels(signal, protocol).inc(items)
            await self.pipeline.submit(Payload(signal, route, body, items))
            self.metrics.items_accepted.labels(signal, protocol).inc(items)
        finally:
            self.in_flight -= 1

    async def _ingest(self, signal: Signal, protocol: str, fmt: str, body: bytes) -> DecodeResult:
        if len(body) > _THREAD_DECODE_BYTES:
            result = await self._decoder.run(decode_large_body, signal, fmt, body, self.limits)
        else:
            result = decode_body(signal, fmt, body, self.limits)
        if result.truncated:
            self.metrics.values_truncated.labels(signal).inc(result.truncated)
        if result.repaired:
            self.metrics.strings_repaired.labels(signal).inc(result.repaired)
        if result.payload is not None and not self.native_decode:
            result = dataclasses.replace(result, payload=dataclasses.replace(result.payload, route=Route.PYTHON))
        accepted = result.payload.items if result.payload else 0
        self.metrics.items_received.labels(signal, protocol).inc(accepted + result.rejected)
        if result.rejected:
            self.metrics.items_rejected.labels(signal, protocol).inc(result.rejected)
        if result.payload is not None:
            await self.pipeline.submit(result.payload)
            self.metrics.items_accepted.labels(signal, protocol).inc(accepted)
        return result

    def observe(self, signal: str, protocol: str, code: str, started: float) -> None:
        """Count a finished request and its latency."""
        self.metrics.requests.labels(signal, protocol, code).inc()
        self.metrics.request_seconds.labels(signal, protocol).observe(time.perf_counter() - started)
