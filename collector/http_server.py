"""The collector's HTTP server: aiohttp with a connection cap and a request-head timeout, both counted.

aiohttp closes a connection that has no complete request head `keepalive_timeout` seconds after it
opened or after its last response, which is both the idle keep-alive timeout and the header-read
timeout (slowloris). These subclasses only add counting, the cap, and quiet error logging: a
malformed request is the client's problem, logged at debug without its bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)
OnEvent = Callable[[str], None]  # called with the reason: header_timeout, idle_timeout, ...


class _Handler(RequestHandler):
    """A connection that reports why the server closed it."""

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.on_event = manager.on_event
        self.head_pending = False  # bytes of a request head have arrived, and no full head yet

    def data_received(self, data: bytes) -> None:
        requests = self._request_count
        super().data_received(data)
        if self._request_count != requests:
            self.head_pending = False
        elif data and self._current_request is None:
            self.head_pending = True

    def _process_keepalive(self) -> None:
        was_open = self.transport is not None
        super()._process_keepalive()
        if was_open and self.transport is None:
            self.on_event("header_timeout" if self.head_pending else "idle_timeout")

    async def start(self) -> None:
        # A connection can be lost before this task first runs (a client's reset, or the cap closing
        # it at once); aiohttp 3.x then fails an assert and logs a traceback at error level.
        if self._manager is not None:
            await super().start()

    def log_exception(self, *args: Any, **kw: Any) -> None:
        # aiohttp logs a malformed request with a traceback holding the client's bytes
        exc = kw.get("exc_info")
        self.on_event("bad_http")
        log.debug("refused a malformed HTTP request (%s)", type(exc).__name__ if exc else "unknown")


class GuardedServer(web.Server):
    """An aiohttp Server that closes connections past `max_connections` at once."""

    def __init__(self, *args: Any, max_connections: int, on_event: OnEvent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections
        self.on_event = on_event

    def __call__(self) -> RequestHandler:
        return _Handler(self, loop=self._loop, **self._kwargs)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        if len(self._connections) > self.max_connections:
            self.on_event("too_many_connections")
            handler.force_close()


class GuardedRunner(web.AppRunner):
    """An AppRunner whose server is a GuardedServer."""

    def __init__(self, app: web.Application, *, max_connections: int, on_event: OnEvent, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.guard = {"max_connections": max_connections, "on_event": on_event}

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **self.guard,
            **plain._kwargs,
        )
