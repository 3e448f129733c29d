"""Request helpers shared by the receivers: ingest-key check and bounded decompression."""

from __future__ import annotations

import hmac
import io
import zlib

import zstandard

from collector.errors import TooLarge, Unauthenticated, UnsupportedMediaType
from collector.otlp.model import InvalidRequest

ENCODINGS = ("identity", "gzip", "deflate", "zstd")


def check_key(presented: str | None, keys: tuple[str, ...]) -> None:
    """Raise Unauthenticated unless `presented` is one of `keys` (no keys configured: open)."""
    if not keys:
        return
    if not presented:
        raise Unauthenticated("missing ingest key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    given = presented.encode()
    # compare against every key, in constant time, so timing tells nothing about which is close
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    if not matched:
        raise Unauthenticated("invalid ingest key")


def bearer_or_api_key(authorization: str | None, api_key: str | None) -> str | None:
    """Extract the presented key from an Authorization: Bearer or X-API-Key header value."""
    if api_key:
        return api_key.strip()
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"request body is larger than {limit} bytes after decompression (collector.max_decompressed_bytes)")


def _zlib(body: bytes, wbits: int, limit: int, name: str) -> bytes:
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InvalidRequest(f"body is not valid {name} data: {exc}") from None
    if len(out) > limit:
        raise _too_large(limit)
    if not d.eof:
        raise InvalidRequest(f"{name} body is truncated")
    return out


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Decompress a request body, refusing to produce more than `limit` bytes."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding == "gzip":
        return _zlib(body, 16 + zlib.MAX_WBITS, limit, "gzip")
    if encoding == "deflate":
        # HTTP "deflate" is zlib-wrapped, but some clients send raw deflate
        wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS
        return _zlib(body, wbits, limit, "deflate")
    if encoding == "zstd":
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body))
            chunks, size = [], 0
            while size <= limit and (chunk := reader.read(limit + 1 - size)):
                chunks.append(chunk)
                size += len(chunk)
            out = b"".join(chunks)
        except zstandard.ZstdError as exc:
            raise InvalidRequest(f"body is not valid zstd data: {exc}") from None
        if len(out) > limit:
            raise _too_large(limit)
        return out
    raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; use one of {', '.join(ENCODINGS)}")
