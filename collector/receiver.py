"""What every receiver does with a request once transport is dealt with: decode, count, queue."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass

from collector.metrics import CollectorMetrics
from collector.otlp.decode import decode_message, decode_protobuf
from collector.otlp.json_codec import parse_json
from collector.otlp.model import DecodeResult, Route, Signal
from collector.pipeline import Pipeline

log = logging.getLogger(__name__)
# Bodies above this are decoded in a worker thread so one large request cannot stall the event loop.
_THREAD_DECODE_BYTES = 1024 * 1024


def decode_body(signal: Signal, fmt: str, body: bytes) -> DecodeResult:
    """Decode an OTLP request body in either wire format; raise InvalidRequest if it cannot be read."""
    if fmt == "json":
        return decode_message(signal, parse_json(signal, body))
    return decode_protobuf(signal, body)


@dataclass
class Receiver:
    """The shared ingest step: decode, account, and hand the payload to the pipeline."""

    pipeline: Pipeline
    metrics: CollectorMetrics
    api_keys: tuple[str, ...]
    native_decode: bool = True

    async def ingest(self, signal: Signal, protocol: str, fmt: str, body: bytes) -> DecodeResult:
        """Decode and store a request; return the result for the response (raises ingest errors)."""
        if len(body) > _THREAD_DECODE_BYTES:
            result = await asyncio.to_thread(decode_body, signal, fmt, body)
        else:
            result = decode_body(signal, fmt, body)
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
