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
    """The header of a payload's record: the record is this, then the body (written without a copy).

    A body checksummed already (`payload.body_crc`, off the event loop) is not read again.
    """
    meta = _META.pack(appended_ns, SIGNAL_CODES[payload.signal], ROUTE_CODES[payload.route], payload.items)
    if payload.body_crc is None:
        crc = zlib.crc32(payload.body, zlib.crc32(meta))
    else:
        crc = crc32_combine(zlib.crc32(meta), payload.body_crc, len(payload.body))
    return _HEAD.pack(MAGIC, len(payload.body), crc) + meta


# CRC-32 of a concatenation from its parts' (zlib's crc32_combine, which Python's zlib does not
# offer): polynomial arithmetic modulo zlib's reflected polynomial, a few dozen steps whatever the length.
_POLY = 0xEDB88320
_X0 = 1 << 31  # the polynomial 1, reflected


def _multiply(a: int, b: int) -> int:
    """a * b modulo the CRC polynomial."""
    product, bit = 0, _X0
    while a:
        if a & bit:
            product ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _powers() -> list[int]:
    """x^(2^k) modulo the polynomial for k = 0..31."""
    table = [_X0 >> 1]  # x
    for _ in range(31):
        table.append(_multiply(table[-1], table[-1]))
    return table


_X2N = _powers()


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of A + B, given A's CRC, B's CRC and B's length."""
    shift, k = _X0, 3  # x^(8 * length2): B's bits shift A's remainder that far
    while length2:
        if length2 & 1:
            shift = _multiply(_X2N[k & 31], shift)
        length2 >>= 1
        k += 1
    return _multiply(shift, crc1) ^ crc2


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
