"""Request helpers shared by the receivers: ingest-key check, bounded decompression, capped messages."""

from __future__ import annotations

import hmac
import zlib
from collections.abc import Callable, Iterator

import zstandard

from collector.errors import TooLarge, Unauthenticated, UnsupportedMediaType
from collector.otlp.model import InvalidRequest

ENCODINGS = ("identity", "gzip", "deflate", "zstd")
# Decompressed output is produced, and counted against the byte budget, this much at a time.
_SLICE = 1024 * 1024
MAX_MESSAGE_CHARS = 512


def _as_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    # aiohttp hands header bytes that are not ASCII as surrogate escapes: keep them as sent
    return value.encode("utf-8", "surrogateescape")


def check_key(presented: str | bytes | None, keys: tuple[str, ...]) -> None:
    """Raise Unauthenticated unless `presented` is one of `keys` (no keys configured: open)."""
    if not keys:
        return
    if not presented:
        raise Unauthenticated("missing ingest key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    try:
        given = _as_bytes(presented)
    except UnicodeEncodeError:  # a lone surrogate no client could have sent as a key
        raise Unauthenticated("invalid ingest key") from None
    # compare against every key, in constant time, so timing tells nothing about which is close
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    if not matched:
        raise Unauthenticated("invalid ingest key")


def bearer_or_api_key(authorization: str | bytes | None, api_key: str | bytes | None) -> str | bytes | None:
    """Extract the presented key from an Authorization: Bearer or X-API-Key header value."""
    if api_key:
        return api_key.strip()
    if authorization and authorization[:7].lower() in ("bearer ", b"bearer "):
        return authorization[7:].strip()
    return None


def cap_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Shorten an error message for a client: keep its start and end, which say what and where."""
    if len(text) <= limit:
        return text
    half = (limit - 5) // 2
    return f"{text[:half]} ... {text[-half:]}"


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"request body is larger than {limit} bytes after decompression (collector.max_decompressed_bytes)")


def _zlib_slices(body: bytes, wbits: int, name: str) -> Iterator[bytes]:
    d = zlib.decompressobj(wbits)
    data = body
    try:
        while data and not d.eof:
            yield d.decompress(data, _SLICE)
            data = d.unconsumed_tail
    except zlib.error as exc:
        raise InvalidRequest(f"body is not valid {name} data: {exc}") from None
    if not d.eof:
        raise InvalidRequest(f"{name} body is truncated")


def _zstd_slices(body: bytes) -> Iterator[bytes]:
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(body)
        while chunk := reader.read(_SLICE):
            yield chunk
    except zstandard.ZstdError as exc:
        raise InvalidRequest(f"body is not valid zstd data: {exc}") from None


def _slices(body: bytes, encoding: str) -> Iterator[bytes]:
    if encoding == "gzip":
        return _zlib_slices(body, 16 + zlib.MAX_WBITS, "gzip")
    if encoding == "deflate":
        # HTTP "deflate" is zlib-wrapped, but some clients send raw deflate
        return _zlib_slices(body, zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS, "deflate")
    if encoding == "zstd":
        return _zstd_slices(body)
    raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; use one of {', '.join(ENCODINGS)}")


def decompress(body: bytes, encoding: str | None, limit: int, take: Callable[[int], None] = lambda n: None) -> bytes:
    """Decompress a request body, refusing to produce more than `limit` bytes.

    Output is produced a slice at a time and each slice is passed to `take` (the byte budget, which
    raises when full) before the next, so a bomb holds at most one slice beyond what was admitted.
    """
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    chunks, size = [], 0
    for chunk in _slices(body, encoding):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        take(len(chunk))
        chunks.append(chunk)
    return b"".join(chunks)
