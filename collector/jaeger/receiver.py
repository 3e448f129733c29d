"""Jaeger transports: POST /api/traces (Thrift binary, as jaeger-collector takes it) and the agent's UDP port.

HTTP answers 202 once the spans are durable, 400 for a body that is not a Jaeger Batch, 415 for
another Content-Type, 429/503 with Retry-After when storage is behind. UDP has no answer: a datagram
that cannot be stored is counted and logged, and the sender never learns of it (docs/ingest.md).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from collector.converted import Converted
from collector.errors import UnsupportedMediaType
from collector.jaeger.thrift import decode_agent_datagram, decode_batch
from collector.jaeger.translate import to_otlp
from collector.otlp.model import Signal
from collector.plain_http import hand_off, receive
from collector.receiver import Receiver

log = logging.getLogger(__name__)
MEDIA_TYPES = ("application/x-thrift", "application/vnd.apache.thrift.binary")
# Bodies above this are decoded in a worker thread so the event loop keeps answering.
_THREAD_BYTES = 256 * 1024


def translate_http(body: bytes) -> Converted:
    return to_otlp(decode_batch(body))


def add_jaeger_route(app: web.Application, receiver: Receiver) -> None:
    """Register POST /api/traces."""

    async def handle(request: web.Request, body: bytes) -> web.Response:
        if request.content_type.lower() not in MEDIA_TYPES:
            raise UnsupportedMediaType(
                f"Content-Type {request.content_type or '(none)'!r} is not supported; send application/x-thrift"
            )
        if len(body) > _THREAD_BYTES:
            translated = await asyncio.to_thread(translate_http, body)
        else:
            translated = translate_http(body)
        await hand_off(receiver, Signal.TRACES, "jaeger_http", translated, checked=False)
        return web.Response(status=202)

    app.router.add_post("/api/traces", receive(receiver, Signal.TRACES, "jaeger_http", handle))


class AgentProtocol(asyncio.DatagramProtocol):
    """The Jaeger agent's UDP port: one emitBatch call (compact Thrift) per datagram."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.tasks: set[asyncio.Task] = set()

    def datagram_received(self, data: bytes, addr) -> None:
        task = asyncio.create_task(self._store(data))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _store(self, data: bytes) -> None:
        try:
            await hand_off(
                self.receiver, Signal.TRACES, "jaeger_udp", to_otlp(decode_agent_datagram(data)), checked=False
            )
            code = "ok"
        except Exception as exc:
            code = "dropped"
            # no one to answer: count it and say why once per datagram, without the bytes
            log.warning("Jaeger UDP datagram not stored", extra={"error": str(exc)[:300], "bytes": len(data)})
        self.receiver.metrics.requests.labels(Signal.TRACES, "jaeger_udp", code).inc()


async def start_agent(receiver: Receiver, host: str, port: int) -> tuple[asyncio.DatagramTransport, int]:
    """Listen for agent datagrams; return the transport (to close) and the bound port."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: AgentProtocol(receiver), local_addr=(host, port))
    return transport, transport.get_extra_info("sockname")[1]
