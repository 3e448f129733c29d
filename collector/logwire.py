"""Write OTLP ExportLogsServiceRequest bytes straight from Python values, for receivers of other formats.

JSON lines and Loki entries become OTLP log records so that the write-ahead log, batching,
deduplication and the native ClickHouse decode take them unchanged. Building upb messages field by
field costs ~3x more per record than writing the wire bytes here (measured: 14k against 42k records/s
with 9 attributes), and the record build is the whole cost of these receivers. The bytes are
canonical proto3 (fields in number order, no default values) and meet the OTLP limits on strings
as they are written (Cut: values, bodies and scope names cut to their collector.max_*_length, bytes
received as UTF-8 repaired), so the receivers hand them to storage without a second parse (the
flat route: every value is a scalar); tests parse them back with the opentelemetry-proto classes
and the OTLP decode, which must find nothing to reject, cut or repair.

Attribute values: str, bool, int (int64; beyond it the decimal text), float, None (an unset AnyValue).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from collector.otlp.limits import Limits
from storage.wire import encode_varint

Attribute = tuple[str, object]
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
pack_fixed64 = struct.Struct("<Q").pack
_pack_fixed32 = struct.Struct("<I").pack
_pack_double = struct.Struct("<d").pack
# one-byte and two-byte varints cover every length below 16 KiB: most strings and records
_SMALL = [bytes([n]) if n < 0x80 else bytes([(n & 0x7F) | 0x80, n >> 7]) for n in range(1 << 14)]


def varint(n: int) -> bytes:
    """Encode a non-negative int as a protobuf varint."""
    return _SMALL[n] if n < 16384 else encode_varint(n)


def utf8(s: str) -> tuple[bytes, bool]:
    """Encode a str as UTF-8; lone surrogates (from JSON escapes) become U+FFFD. Return (bytes, repaired)."""
    try:
        return s.encode(), False
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode(), True


@dataclass(slots=True)
class Cut:
    """The string limits records are written to (the OTLP limits), and how many strings were cut or repaired."""

    value: int = 65_536  # collector.max_attribute_value_length
    body: int = 65_536  # collector.max_log_body_length
    name: int = 16_384  # collector.max_name_length
    truncated: int = 0
    repaired: int = 0

    @classmethod
    def of(cls, limits: Limits) -> Cut:
        return cls(limits.max_value_length, limits.max_body_length, limits.max_name_length)

    def text(self, s: str, limit: int) -> bytes:
        """UTF-8 of `s` cut to `limit` characters (lone surrogates become U+FFFD)."""
        if len(s) > limit:
            s = s[:limit]
            self.truncated += 1
        try:
            return s.encode()
        except UnicodeEncodeError:
            return utf8(s)[0]

    def line(self, raw: bytes) -> bytes:
        """A line received as bytes, as stored: invalid UTF-8 replaced with U+FFFD, cut to the body limit."""
        if raw.isascii():
            if len(raw) <= self.body:
                return raw
            self.truncated += 1
            return raw[: self.body]
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            self.repaired += 1
            return self.text(text, self.body)
        return raw if len(text) <= self.body else self.text(text, self.body)


def _field(tag: bytes, payload: bytes) -> bytes:
    return tag + varint(len(payload)) + payload


def any_value(value: object, cut: Cut, limit: int) -> bytes:
    """Encode an AnyValue holding a scalar (see the module docstring for the types); strings cut to `limit`."""
    t = type(value)
    if t is str:
        return _field(b"\x0a", cut.text(value, limit))  # type: ignore[arg-type]
    if t is bool:
        return b"\x10\x01" if value else b"\x10\x00"
    if t is int:
        if _INT64_MIN <= value <= _INT64_MAX:  # type: ignore[operator]
            return b"\x18" + varint(value & 0xFFFFFFFFFFFFFFFF)  # type: ignore[operator]
        return _field(b"\x0a", str(value).encode())
    if t is float:
        return b"\x21" + _pack_double(value)  # type: ignore[arg-type]
    if value is None:
        return b""
    raise TypeError(f"cannot encode a {t.__name__} as an attribute value")


# Attribute keys repeat on nearly every record, and many values with them (levels, components,
# regions, tenants): keep the encoded KeyValue of short scalar pairs, bounded. Their values are
# shorter than any value limit the cache is used under, so no entry was ever cut.
_PAIRS: dict[tuple[str, type, object], bytes] = {}
_PAIR_LIMIT = 65536
_PAIR_BYTES = 96
_CACHED_TYPES = (str, int, bool)
_NOT_CACHED = ()


def _key_value(key: str, value: object, cut: Cut) -> bytes:
    # proto3 leaves an empty key out; the value is a message, present even when empty
    kv = (_field(b"\x0a", utf8(key)[0]) if key else b"") + _field(b"\x12", any_value(value, cut, cut.value))
    return varint(len(kv)) + kv


def cacheable(cut: Cut) -> bool:
    """Whether short pairs may be remembered under these limits (no value that short is ever cut)."""
    return cut.value >= _PAIR_BYTES


def attribute(key: str, value: object, cut: Cut, cache: dict | None) -> bytes:
    """Encode one LogRecord attribute (tag included); `cache` remembers a key's short values of one type.

    The caller passes a cache only for one key whose values all have one str/int/bool type, and only
    when cacheable(cut); the caches share one bound with the pairs attributes() remembers.
    """
    encoded = b"\x32" + _key_value(key, value, cut)
    if cache is not None and len(encoded) <= _PAIR_BYTES:
        if _KEY_CACHES.size >= _PAIR_LIMIT:
            _KEY_CACHES.clear()
        if not cache:
            _KEY_CACHES.caches.append(cache)
        cache[value] = encoded
        _KEY_CACHES.size += 1
    return encoded


class _KeyCaches:
    """Every cache given to attribute(), so their entries together stay under _PAIR_LIMIT."""

    def __init__(self) -> None:
        self.caches: list[dict] = []
        self.size = 0

    def clear(self) -> None:
        for cache in self.caches:
            cache.clear()
        self.caches.clear()
        self.size = 0


_KEY_CACHES = _KeyCaches()


def attributes(pairs: Iterable[Attribute], cut: Cut, tag: bytes = b"\x32") -> bytes:
    """Encode a repeated KeyValue field (LogRecord.attributes is field 6; Resource.attributes is 1)."""
    out = []
    append = out.append
    cache = _PAIRS
    cached = _CACHED_TYPES if cut.value >= _PAIR_BYTES else _NOT_CACHED
    for key, value in pairs:
        t = type(value)
        if t in cached:
            # the type is part of the key: True == 1 and 1 == 1.0 must not share an entry
            ck = (key, t, value)
            encoded = cache.get(ck)
            if encoded is None:
                encoded = _key_value(key, value, cut)
                if len(encoded) < _PAIR_BYTES:
                    if len(cache) >= _PAIR_LIMIT:
                        cache.clear()
                    cache[ck] = encoded
        else:
            encoded = _key_value(key, value, cut)
        append(tag)
        append(encoded)
    return b"".join(out)


class Record(NamedTuple):
    """One log record's fields; ids are raw bytes (16 and 8), times ns since the epoch (0: unset)."""

    time_ns: int
    observed_ns: int
    severity_number: int
    severity_text: str
    body: str | bytes | None
    attributes: Sequence[Attribute] | bytes  # bytes: the repeated field already encoded (attribute())
    trace_id: bytes = b""
    span_id: bytes = b""
    flags: int = 0


def encode_record(r: Record, cut: Cut) -> bytes:
    """Encode a LogRecord message (without its field tag)."""
    parts = [b"\x09" + pack_fixed64(r.time_ns)] if r.time_ns else []
    if r.severity_number or r.severity_text:
        parts.append(severity_fields(r.severity_number, r.severity_text))
    body = r.body
    if body is not None:
        if type(body) is str:
            text = cut.text(body, cut.body)  # type: ignore[arg-type]
            value = b"\x0a" + varint(len(text)) + text
        else:  # a bytes body is a line as received (Loki)
            value = _field(b"\x0a", cut.line(body)) if type(body) is bytes else any_value(body, cut, cut.body)
        parts.append(b"\x2a" + varint(len(value)) + value)
    attrs = r.attributes
    if attrs:
        parts.append(attrs if type(attrs) is bytes else attributes(attrs, cut))  # type: ignore[arg-type]
    if r.flags:
        parts.append(b"\x45" + _pack_fixed32(r.flags))
    if r.trace_id:
        parts.append(_field(b"\x4a", r.trace_id))
    if r.span_id:
        parts.append(_field(b"\x52", r.span_id))
    if r.observed_ns:
        parts.append(b"\x59" + pack_fixed64(r.observed_ns))
    return b"".join(parts)


# (number, text) -> the two fields: a few pairs cover every line
_SEVERITIES: dict[tuple[int, str], bytes] = {}


def severity_fields(number: int, text: str) -> bytes:
    """Encode a record's severity_number and severity_text fields (remembered, bounded)."""
    key = (number, text)
    found = _SEVERITIES.get(key)
    if found is None:
        found = (b"\x10" + varint(number) if number else b"") + (_field(b"\x1a", utf8(text)[0]) if text else b"")
        if len(text) < 64:
            if len(_SEVERITIES) >= 1024:
                _SEVERITIES.clear()
            _SEVERITIES[key] = found
    return found


def encode_line(
    time_ns: int, observed_ns: int, severity: bytes, line: bytes | str, attrs: Sequence[Attribute], cut: Cut
) -> bytes:
    """Encode the LogRecord of a plain line (a Loki entry): the fast path of encode_record.

    `time_ns` and `observed_ns` are set; `severity` comes from severity_fields; a bytes line is as received.
    """
    body = cut.line(line) if type(line) is bytes else cut.text(line, cut.body)  # type: ignore[arg-type]
    value = _field(b"\x0a", body)
    parts = [b"\x09", pack_fixed64(time_ns), severity, b"\x2a", varint(len(value)), value]
    if attrs:
        parts.append(attributes(attrs, cut))
    parts.append(b"\x59")
    parts.append(pack_fixed64(observed_ns))
    return b"".join(parts)


def framed(record: bytes) -> bytes:
    """An encoded LogRecord as the log_records field of its ScopeLogs (what LogsBuilder collects)."""
    return b"\x12" + varint(len(record)) + record


def scope_logs(scope_name: str, records: Iterable[bytes], cut: Cut) -> bytes:
    """Encode a ScopeLogs message from framed LogRecords (framed())."""
    scope = _field(b"\x0a", _field(b"\x0a", cut.text(scope_name, cut.name))) if scope_name else b""
    return scope + b"".join(records)


def resource_logs(resource: Iterable[Attribute], scopes: Iterable[bytes], cut: Cut) -> bytes:
    """Encode a ResourceLogs message from the resource's attributes and encoded ScopeLogs."""
    attrs = attributes(resource, cut, b"\x0a")
    head = _field(b"\x0a", attrs) if attrs else b""
    return head + b"".join(_field(b"\x12", s) for s in scopes)


def logs_request(resources: Iterable[bytes]) -> bytes:
    """Encode an ExportLogsServiceRequest from encoded ResourceLogs."""
    return b"".join(_field(b"\x0a", r) for r in resources)


class LogsBuilder:
    """Collect encoded records by resource and scope; `build()` returns the ExportLogsServiceRequest bytes.

    `cut` holds the string limits the records are encoded to (pass it to encode_record / encode_line).
    """

    def __init__(self, limits: Limits) -> None:
        self.groups: dict[tuple[Attribute, ...], dict[str, list[bytes]]] = {}
        self.cut = Cut.of(limits)

    def add(self, resource: tuple[Attribute, ...], scope: str, record: bytes) -> None:
        """Add an encoded LogRecord."""
        self.group(resource, scope).append(framed(record))

    def group(self, resource: tuple[Attribute, ...], scope: str) -> list[bytes]:
        """The list the framed records (framed()) of a resource and scope go in, in order."""
        scopes = self.groups.get(resource)
        if scopes is None:
            scopes = self.groups[resource] = {}
        records = scopes.get(scope)
        if records is None:
            records = scopes[scope] = []
        return records

    @property
    def records(self) -> int:
        """How many records were added."""
        return sum(len(records) for scopes in self.groups.values() for records in scopes.values())

    def build(self) -> bytes:
        cut = self.cut
        return logs_request(
            resource_logs(resource, (scope_logs(name, records, cut) for name, records in scopes.items()), cut)
            for resource, scopes in self.groups.items()
        )
