"""Clients that misbehave on purpose: raw HTTP/1.1 on sockets, and raw HTTP/2 frames for gRPC.

The gRPC ones are hand-built frames (no h2 library needed): a stalled or truncated message cannot be
sent through grpcio's client, which always sends whole messages.
"""

from __future__ import annotations

import socket
import struct
import time

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

TRACE_ID = bytes(range(1, 17))


def spans_body(name: str, count: int = 1, pad: int = 0) -> bytes:
    """A valid OTLP/protobuf traces request; `pad` bytes of attribute value per span make it large."""
    req = tpb.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = "hostile"
    now = time.time_ns()
    for i in range(count):
        span = rs.scope_spans.add().spans.add() if i == 0 else rs.scope_spans[0].spans.add()
        span.trace_id, span.span_id = TRACE_ID, (i + 1).to_bytes(8, "big")
        span.name = name if i == 0 else f"{name}-{i}"
        span.start_time_unix_nano, span.end_time_unix_nano = now, now + 1000
        if pad:
            span.attributes.add(key="pad").value.string_value = "p" * pad
    return req.SerializeToString()


def deep_body(good: str, deep: str, levels: int) -> bytes:
    """Two spans: `good`, and `deep` with an attribute value nested `levels` arrays deep."""
    req = tpb.ExportTraceServiceRequest.FromString(spans_body(good, count=2))
    spans = req.resource_spans[0].scope_spans[0].spans
    spans[1].name = deep
    value = spans[1].attributes.add(key="deep").value
    for _ in range(levels):
        value = value.array_value.values.add()
    return req.SerializeToString()


def connect(port: int, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def http_head(path: str, headers: dict[str, str | bytes], length: int | None) -> bytes:
    lines = [f"POST {path} HTTP/1.1".encode(), b"Host: collector"]
    if length is not None:
        lines.append(f"Content-Length: {length}".encode())
    for k, v in headers.items():
        lines.append(k.encode() + b": " + (v if isinstance(v, bytes) else v.encode()))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def read_status(sock: socket.socket) -> int:
    """The status code of the first response on `sock`, or 0 if it closed without one."""
    data = b""
    while b"\r\n" not in data:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, TimeoutError):
            return 0
        if not chunk:
            return 0
        data += chunk
    return int(data.split(b" ", 2)[1])


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes `sock` within `seconds` (anything it answers first is read and dropped)."""
    sock.settimeout(0.5)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False


# --- HTTP/2 for gRPC ------------------------------------------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS = 0x0, 0x1, 0x4
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def _literal(name: bytes, value: bytes) -> bytes:
    # HPACK literal header field without indexing, new name, no Huffman (lengths < 127)
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def grpc_open(port: int, key: bytes | None, path: str = TRACE_EXPORT) -> socket.socket:
    """Open an HTTP/2 connection and one gRPC request stream (id 1), headers sent, no message yet."""
    sock = connect(port)
    headers = [
        (b":method", b"POST"),
        (b":scheme", b"http"),
        (b":path", path.encode()),
        (b":authority", b"collector"),
        (b"content-type", b"application/grpc"),
        (b"te", b"trailers"),
    ]
    if key is not None:
        headers.append((b"authorization", b"Bearer " + key))
    block = b"".join(_literal(n, v) for n, v in headers)
    sock.sendall(
        PREFACE + frame(SETTINGS, 0, 0, b"") + frame(SETTINGS, ACK, 0, b"") + frame(HEADERS, END_HEADERS, 1, block)
    )
    return sock


def grpc_message_start(declared: int, first: bytes) -> bytes:
    """A DATA frame opening a gRPC message that declares `declared` bytes and carries only `first`."""
    return frame(DATA, 0, 1, b"\x00" + struct.pack(">I", declared) + first)


def grpc_status(sock: socket.socket, seconds: float) -> str | None:
    """Wait for the stream's end: 'grpc-status N' from the trailers, 'reset', 'closed', or None if neither."""
    sock.settimeout(0.5)
    deadline = time.monotonic() + seconds
    buffer = b""
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return "closed"
        if not chunk:
            return "closed"
        buffer += chunk
        while len(buffer) >= 9:
            length = int.from_bytes(buffer[:3], "big")
            if len(buffer) < 9 + length:
                break
            kind, flags, stream = buffer[3], buffer[4], int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
            payload, buffer = buffer[9 : 9 + length], buffer[9 + length :]
            if kind == 0x3 and stream == 1:  # RST_STREAM
                return "reset"
            if kind == 0x7:  # GOAWAY
                return "closed"
            if kind == HEADERS and stream == 1 and flags & END_STREAM:
                # trailers: the status value is a literal in the block; find its digits
                marker = payload.find(b"grpc-status")
                if marker < 0:  # encoded with Huffman or an index: answered, status unread
                    return "ended"
                value = payload[marker + 12 : marker + 15].decode(errors="replace")
                return "grpc-status " + "".join(ch for ch in value if ch.isdigit())
    return None
