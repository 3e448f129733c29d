"""Read a Loki push request body, protobuf (snappy block-compressed) or JSON, into streams of entries.

The protobuf is Loki's `logproto.PushRequest` (pkg/push/push.proto). No PyPI package ships it, so
its message classes are generated at import from a descriptor built here, and upb parses the body.
String fields are declared `bytes` (the same wire format): upb would refuse a whole request for one
line that is not UTF-8, where storing the line with U+FFFD for the bad bytes is what a log store
should do (the OTLP decode repairs them, counted, downstream).

JSON, as Loki accepts it: `{"streams": [{"stream": {labels}, "values": [["<ns>", "line", {metadata}]]}]}`,
and the older `{"streams": [{"labels": "{a=\"b\"}", "entries": [{"ts": "<RFC 3339>", "line": "..."}]}]}`.
"""

from __future__ import annotations

from typing import NamedTuple

import cramjam
import orjson
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

from collector.errors import TooLarge
from collector.jsonlines.timestamps import parse_iso
from collector.logwire import Attribute
from collector.loki.labels import parse_labels
from collector.otlp.model import InvalidRequest

_F = descriptor_pb2.FieldDescriptorProto
# (message, [(field, number, type, repeated, message type)]) as in Loki's push.proto
_MESSAGES = (
    ("Timestamp", [("seconds", 1, _F.TYPE_INT64, False, ""), ("nanos", 2, _F.TYPE_INT32, False, "")]),
    ("LabelPairAdapter", [("name", 1, _F.TYPE_BYTES, False, ""), ("value", 2, _F.TYPE_BYTES, False, "")]),
    (
        "EntryAdapter",
        [
            ("timestamp", 1, _F.TYPE_MESSAGE, False, "Timestamp"),
            ("line", 2, _F.TYPE_BYTES, False, ""),
            ("structuredMetadata", 3, _F.TYPE_MESSAGE, True, "LabelPairAdapter"),
        ],
    ),
    (
        "StreamAdapter",
        [
            ("labels", 1, _F.TYPE_BYTES, False, ""),
            ("entries", 2, _F.TYPE_MESSAGE, True, "EntryAdapter"),
            ("hash", 3, _F.TYPE_UINT64, False, ""),
        ],
    ),
    ("PushRequest", [("streams", 1, _F.TYPE_MESSAGE, True, "StreamAdapter"), ("format", 2, _F.TYPE_BYTES, False, "")]),
)
_PACKAGE = "otelhouse.logproto"


def _push_request_class() -> type[Message]:
    file = descriptor_pb2.FileDescriptorProto(name="otelhouse/loki_push.proto", package=_PACKAGE, syntax="proto3")
    for name, fields in _MESSAGES:
        message = file.message_type.add(name=name)
        for field_name, number, kind, repeated, type_name in fields:
            message.field.add(
                name=field_name,
                number=number,
                type=kind,
                label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL,
                type_name=f".{_PACKAGE}.{type_name}" if type_name else None,
            )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.PushRequest"))


PushRequest = _push_request_class()


class Entry(NamedTuple):
    time_ns: int
    line: bytes | str
    metadata: list[Attribute]


class Stream(NamedTuple):
    where: str  # e.g. "streams[2]", for messages
    labels: dict[str, str]
    entries: list[Entry]


def unsnappy(body: bytes, limit: int) -> bytes:
    """Decompress a snappy block (promtail's framing: no Content-Encoding), refusing more than `limit` bytes."""
    try:
        size = cramjam.snappy.decompress_raw_len(body)
        if size > limit:
            raise TooLarge(
                f"request body is larger than {limit} bytes after decompression (collector.max_decompressed_bytes)"
            )
        return bytes(cramjam.snappy.decompress_raw(body))
    except cramjam.DecompressionError as exc:
        raise InvalidRequest(f"body is not snappy block-compressed (as Loki's protobuf push must be): {exc}") from None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def protobuf_streams(body: bytes) -> list[Stream]:
    """Parse a decompressed PushRequest into streams; raise InvalidRequest naming what and where."""
    request = PushRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise InvalidRequest(f"body is not a Loki PushRequest (protobuf): {exc}") from None
    streams = []
    for i, s in enumerate(request.streams):
        where = f"streams[{i}]"
        labels = _labels(where, _text(s.labels))
        entries = [
            Entry(
                e.timestamp.seconds * 1_000_000_000 + e.timestamp.nanos,
                e.line,
                [(_text(m.name), _text(m.value)) for m in e.structuredMetadata] if e.structuredMetadata else [],
            )
            for e in s.entries
        ]
        streams.append(Stream(where, labels, entries))
    return streams


def _labels(where: str, text: str) -> dict[str, str]:
    try:
        return parse_labels(text)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{where}: {exc}") from None


def json_streams(body: bytes) -> list[Stream]:
    """Parse a JSON push body into streams; raise InvalidRequest naming what and where."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if type(doc) is not dict or type(doc.get("streams")) is not list:
        raise InvalidRequest('body must be a JSON object with a "streams" array')
    return [_json_stream(f"streams[{i}]", s) for i, s in enumerate(doc["streams"])]


def _json_stream(where: str, s: object) -> Stream:
    if type(s) is not dict:
        raise InvalidRequest(f"{where} must be an object")
    if "stream" in s or "values" in s:
        stream = s.get("stream") or {}
        if type(stream) is not dict or any(type(v) is not str for v in stream.values()):
            raise InvalidRequest(f'{where}.stream must be an object of string labels, e.g. {{"job": "api"}}')
        values = s.get("values") or []
        if type(values) is not list:
            raise InvalidRequest(f"{where}.values must be an array")
        return Stream(where, stream, [_json_value(f"{where}.values[{j}]", v) for j, v in enumerate(values)])
    labels = _labels(where, s.get("labels") if type(s.get("labels")) is str else "")
    entries = s.get("entries") or []
    if type(entries) is not list:
        raise InvalidRequest(f"{where}.entries must be an array")
    return Stream(where, labels, [_json_entry(f"{where}.entries[{j}]", e) for j, e in enumerate(entries)])


def _json_value(where: str, v: object) -> Entry:
    if type(v) is not list or len(v) not in (2, 3) or type(v[1]) is not str:
        raise InvalidRequest(f'{where} must be ["<unix epoch in nanoseconds>", "<log line>"] with optional metadata')
    ts = v[0]
    if type(ts) is str and ts.isascii() and ts.isdigit():
        ts = int(ts)
    if type(ts) is not int or ts < 0:
        raise InvalidRequest(f"{where}: timestamp {str(v[0])[:40]!r} is not a unix epoch in nanoseconds")
    metadata: list[Attribute] = []
    if len(v) == 3:
        if type(v[2]) is not dict or any(type(x) is not str for x in v[2].values()):
            raise InvalidRequest(f"{where}: structured metadata must be an object of strings")
        metadata = list(v[2].items())
    return Entry(ts, v[1], metadata)


def _json_entry(where: str, e: object) -> Entry:
    if type(e) is not dict or type(e.get("line")) is not str or type(e.get("ts")) is not str:
        raise InvalidRequest(f'{where} must be {{"ts": "<RFC 3339>", "line": "<log line>"}}')
    ts = parse_iso(e["ts"])
    if ts is None:
        raise InvalidRequest(f"{where}: timestamp {e['ts'][:40]!r} is not RFC 3339")
    return Entry(ts, e["line"], [])


def decode_push(body: bytes, is_json: bool, limit: int) -> list[Stream]:
    """Decode a push body by its Content-Type (JSON, else snappy protobuf, as Loki does)."""
    return json_streams(body) if is_json else protobuf_streams(unsnappy(body, limit))
