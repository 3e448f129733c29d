"""A lean HTTP/1.1 POST client for the open-loop senders: keep-alive connections, one request at a time each.

aiohttp's client costs a sender ~0.5 ms of CPU per request, and the senders share the machine with
the collector they measure (500 requests/s: a quarter of a core). This one writes the request head
and body with one call and reads the status line, the headers and a Content-Length body; on the wire
a request is what aiohttp sends (POST, Host, Content-Type, Content-Length, keep-alive). A connection
whose answer says `Connection: close`, or that the server closes, is not reused.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `post` sends a request and waits for its answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[int] | None = None
        self.need = -1  # bytes the answer takes in the buffer once its head is read (-1: head not read)
        self.status = 0
        self.keep = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.keep = False
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.need < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self._head(bytes(self.buffer[:end]).decode("latin-1"), end + 4)
        if len(self.buffer) >= self.need and self.answer is not None and not self.answer.done():
            del self.buffer[: self.need]
            self.need = -1
            self.answer.set_result(self.status)

    def _head(self, head: str, start: int) -> None:
        lines = head.split("\r\n")
        self.status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                self.keep = False
        self.need = start + length

    async def post(self, head: bytes, body: bytes) -> int:
        self.answer = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.writelines((head, body))
        return await self.answer


class Poster:
    """POST bodies to one URL over a pool of keep-alive connections: a new one when all are busy, up to
    `max_connections`; past them a request waits for a free one (a client's pool does the same)."""

    def __init__(self, url: str, content_type: str, max_connections: int = 400) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
            "Content-Length: "
        ).encode()
        self.idle: list[_Connection] = []
        self.slots = asyncio.Semaphore(max_connections)

    async def post(self, body: bytes) -> int:
        """Send one request and return its status code; raise ConnectionError if the connection fails."""
        async with self.slots:
            return await self._post(body)

    async def _post(self, body: bytes) -> int:
        conn = None
        while self.idle and conn is None:
            conn = self.idle.pop()
            if not conn.keep:  # closed by the server while idle
                conn = None
        if conn is None:
            _, conn = await asyncio.get_running_loop().create_connection(_Connection, self.host, self.port)
        try:
            status = await conn.post(self.prefix + b"%d\r\n\r\n" % len(body), body)
        except BaseException:
            conn.keep = False
            raise
        finally:
            if not conn.keep and conn.transport is not None:
                conn.transport.close()
        if conn.keep:
            self.idle.append(conn)
        return status

    def close(self) -> None:
        for conn in self.idle:
            if conn.transport is not None:
                conn.transport.close()
        self.idle.clear()
