"""OTLP/JSON ("JSON Protobuf Encoding", OTLP 1.x): request bodies in, responses and statuses out."""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collector.otlp.json_reader import HEX_ID_FIELDS, JsonPathError, describe, merge
from collector.otlp.model import InvalidRequest, Signal
from collector.otlp.responses import REQUEST_TYPES

try:  # googleapis-common-protos comes with the OTel exporters, but is not a declared dependency
    from google.rpc.status_pb2 import Status
except ImportError:  # pragma: no cover - exercised by monkeypatching in the tests
    Status = None

# Span has all three id fields; other messages with ids use the same names.
_HEX_KEYS_CAMEL = frozenset(Span.DESCRIPTOR.fields_by_name[name].json_name for name in HEX_ID_FIELDS)
_HEX_KEYS_PROTO = frozenset(HEX_ID_FIELDS)


def parse_json(signal: Signal, body: bytes) -> Message:
    """Decode an OTLP/JSON request body into the signal's Export*ServiceRequest message."""
    if not body or body.isspace():
        raise InvalidRequest("request body is empty; expected a JSON object")
    try:
        text = body.decode("utf-8-sig")  # RFC 8259 lets a parser ignore a byte order mark
    except UnicodeDecodeError as error:
        raise InvalidRequest(f"request body is not valid UTF-8 (at byte {error.start})") from None
    try:
        document = json.loads(text)
    except RecursionError:  # the C scanner's guard against deep nesting, e.g. 100k "["
        raise InvalidRequest("request body is not valid JSON: nested too deeply") from None
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"request body is not valid JSON: {error}") from None
    except ValueError:  # Python's limit on digits in an int literal (sys.get_int_max_str_digits)
        raise InvalidRequest("request body is not valid JSON: a number has too many digits") from None
    del text  # the decoded copy of the body is not needed while the message is built
    if not isinstance(document, dict):
        raise InvalidRequest(f"request body must be a JSON object, got {describe(document)}")
    message = REQUEST_TYPES[signal]()
    try:
        merge(message, document)
    except JsonPathError as error:
        where = error.where()
        raise InvalidRequest(f"{where}: {error.reason}" if where else error.reason) from None
    return message


def encode_json(message: Message, *, proto_names: bool = False) -> bytes:
    """Encode a message as OTLP/JSON: lowerCamelCase keys, integer enums, hex trace and span ids."""
    document = json_format.MessageToDict(message, use_integers_for_enums=True, preserving_proto_field_name=proto_names)
    _ids_to_hex(document, _HEX_KEYS_PROTO if proto_names else _HEX_KEYS_CAMEL)
    return _dump(document)


def encode_response(message: Message) -> bytes:
    """Encode an Export*ServiceResponse (partial_success included) as an OTLP/JSON body."""
    return encode_json(message)


def encode_status(code: int, message: str) -> bytes:
    """Encode a google.rpc.Status (the body of an OTLP/HTTP error response) as JSON."""
    if Status is not None:
        return _dump(json_format.MessageToDict(Status(code=code, message=message)))
    # The same JSON protobuf would write: fields at their default value are left out.
    return _dump({key: value for key, value in (("code", code), ("message", message)) if value})


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _ids_to_hex(node: Any, keys: frozenset[str]) -> None:
    """Rewrite, in place, the base64 ids protobuf JSON wrote as the hex OTLP/JSON requires."""
    # Attribute keys are never JSON keys (they sit in {"key": ..., "value": ...} pairs), so a
    # JSON key named like an id field is that field.
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _ids_to_hex(value, keys)
    elif isinstance(node, list):
        for item in node:
            _ids_to_hex(item, keys)
