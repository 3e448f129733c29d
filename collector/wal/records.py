"""The record format of a write-ahead log segment, as pure functions.

A record is a fixed header then the payload body:
    magic "OHWL" | body length u32 | crc32 u32 | appended at (ns) u64 | signal u8 | route u8 | items u32
The CRC covers everything after itself, so a torn or corrupted record is detected, and the magic
lets a reader find the next good record after a bad one.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from collector.otlp.model import Payload, Route, Signal

MAGIC = b"OHWL"
_HEAD = struct.Struct("<4sII")  # magic, body length, crc
_META = struct.Struct("<QBBI")  # appended ns, signal, route, items
HEADER_SIZE = _HEAD.size + _META.size
MAX_BODY = 1 << 31

SIGNAL_CODES = {Signal.TRACES: 1, Signal.METRICS: 2, Signal.LOGS: 3}
ROUTE_CODES = {Route.NATIVE: 1, Route.PYTHON: 2, Route.FLAT: 3, Route.PROMETHEUS: 4}
_SIGNALS = {v: k for k, v in SIGNAL_CODES.items()}
_ROUTES = {v: k for k, v in ROUTE_CODES.items()}


@dataclass(frozen=True, slots=True)
class Record:
    payload: Payload
    appended_ns: int
    size: int  # bytes on disk, header included


class Corrupt(ValueError):
    """The bytes at an offset are not a valid record."""


def encode(payload: Payload, appended_ns: int) -> bytes:
    """Serialize a payload as one record."""
    return header(payload, appended_ns) + payload.body


def header(payload: Payload, appended_ns: int) -> bytes:
    """The header of a payload's record: the record is this, then the body (written without a copy)."""
    meta = _META.pack(appended_ns, SIGNAL_CODES[payload.signal], ROUTE_CODES[payload.route], payload.items)
    crc = zlib.crc32(payload.body, zlib.crc32(meta))
    return _HEAD.pack(MAGIC, len(payload.body), crc) + meta


def parse_header(header: bytes) -> tuple[int, int, bytes]:
    """Return (body length, crc, meta bytes) of a record header, or raise Corrupt."""
    if len(header) < HEADER_SIZE:
        raise Corrupt("truncated header")
    magic, length, crc = _HEAD.unpack_from(header)
    if magic != MAGIC:
        raise Corrupt("bad magic")
    if length > MAX_BODY:
        raise Corrupt(f"impossible body length {length}")
    return length, crc, header[_HEAD.size : HEADER_SIZE]


def decode(length: int, crc: int, meta: bytes, body: bytes) -> Record:
    """Check a record's body against its header and return it, or raise Corrupt."""
    if len(body) != length:
        raise Corrupt("truncated body")
    if zlib.crc32(body, zlib.crc32(meta)) != crc:
        raise Corrupt("checksum mismatch")
    appended, signal, route, items = _META.unpack(meta)
    if signal not in _SIGNALS or route not in _ROUTES:
        raise Corrupt("unknown signal or route")
    return Record(Payload(_SIGNALS[signal], _ROUTES[route], body, items), appended, HEADER_SIZE + length)
