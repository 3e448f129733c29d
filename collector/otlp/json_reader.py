"""Fill a protobuf message from a decoded OTLP/JSON object, walking the message's descriptor.

This is the protobuf JSON mapping with the OTLP deviation (trace and span ids are hex, not base64)
and with errors that name the JSON path of the bad value. It covers what OTLP messages use:
scalars, enums, nested and repeated messages, oneofs; no maps and no well-known types.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

# upb refuses to parse binary messages nested deeper than 100, so a deeper JSON request could not be
# read back from its serialized form. OTLP nests that deep only through AnyValue, so arrays and
# kvlists below this many message levels are left empty: the value is still deeper than
# collector.max_anyvalue_depth allows (at most 32 levels, about 70 messages), and only its item is
# rejected, by the same per-item check as protobuf.
CUT_DEPTH = 90
_CONTAINERS = frozenset({"opentelemetry.proto.common.v1.ArrayValue", "opentelemetry.proto.common.v1.KeyValueList"})

# OTLP/JSON writes these bytes fields as hex (the one deviation from protobuf JSON); the value is
# the length the spec expects, in hex characters, for the error message.
HEX_ID_FIELDS = {"trace_id": 32, "span_id": 16, "parent_span_id": 16}

Converter = Callable[[Any], Any]

_INT_TEXT = re.compile(r"-?[0-9]{1,30}")
_NUMBER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


class JsonPathError(ValueError):
    """A JSON value that does not fit its field; the path is filled in as the error unwinds."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str | int] = []  # innermost segment first

    def where(self) -> str:
        """Return the path as the client wrote it, e.g. `resourceSpans[0].scopeSpans[1].spans`."""
        text = ""
        for segment in reversed(self.path):
            if isinstance(segment, int):
                text += f"[{segment}]"
            else:
                text += f".{segment}" if text else segment
        return text


def describe(value: Any) -> str:
    """Name a JSON value for an error message: short scalars verbatim, containers by kind."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = repr(value)
    # The message goes back to the client; echoing a megabyte of its own input helps nobody.
    return text if len(text) <= 48 else text[:45] + "..."


def _fail(expected: str, value: Any) -> JsonPathError:
    return JsonPathError(f"expected {expected}, got {describe(value)}")


def _integral(value: Any) -> int | None:
    """Return the integer a JSON number or numeric string denotes, or None if it denotes none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if not isinstance(value, str):
        return None
    if _INT_TEXT.fullmatch(value):
        return int(value)
    if _NUMBER_TEXT.fullmatch(value):  # protobuf JSON also allows "1.5e3" for integers
        number = Decimal(value)
        # Checking the magnitude first keeps "1e999999999" from becoming a gigantic int.
        if number.adjusted() < 30 and number == number.to_integral_value():
            return int(number)
    return None


def _integer(low: int, high: int, expected: str) -> Converter:
    def convert(value: Any) -> int:
        number = _integral(value)
        if number is None or not low <= number <= high:
            raise _fail(expected, value)
        return number

    return convert


def _double(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer literal with hundreds of digits
            pass
    elif isinstance(value, str):
        special = _SPECIAL_DOUBLES.get(value)
        if special is not None:
            return special
        if _NUMBER_TEXT.fullmatch(value):
            return float(value)
    raise _fail("a number", value)


def _string(value: Any) -> str:
    if isinstance(value, str):
        # JSON can escape a lone surrogate ("\ud800"), which no UTF-8 protobuf string can hold.
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise JsonPathError("string holds an unpaired surrogate escape") from None
        return value
    raise _fail("a string", value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _fail("true or false", value)


def _base64(value: Any) -> bytes:
    if isinstance(value, str):
        # protobuf JSON accepts standard and URL-safe alphabets, with or without padding.
        text = value.rstrip("=").translate(_URLSAFE_TO_STANDARD)
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            pass
    raise _fail("base64", value)


def _hex_id(chars: int) -> Converter:
    def convert(value: Any) -> bytes:
        # Well-formed hex of another length is kept: per-item validation rejects that one item.
        if isinstance(value, str):
            try:
                return binascii.unhexlify(value)
            except (binascii.Error, ValueError):
                pass
        raise _fail(f"{chars} hex characters", value)

    return convert


def _enum(enum_type: EnumDescriptor) -> Converter:
    names = {value.name: value.number for value in enum_type.values}
    # Numbers outside the named values are kept, as binary protobuf keeps them (open enums).
    as_number = _integer(-(2**31), 2**31 - 1, f"a {enum_type.name} number or name")

    def convert(value: Any) -> int:
        number = names.get(value) if isinstance(value, str) else None
        return as_number(value) if number is None else number

    return convert


_T = FieldDescriptor
_SCALARS: dict[int, Converter] = {
    _T.TYPE_STRING: _string,
    _T.TYPE_BOOL: _bool,
    _T.TYPE_BYTES: _base64,
    _T.TYPE_DOUBLE: _double,
    _T.TYPE_FLOAT: _double,
    **dict.fromkeys(
        (_T.TYPE_INT32, _T.TYPE_SINT32, _T.TYPE_SFIXED32),
        _integer(-(2**31), 2**31 - 1, "a 32-bit integer"),
    ),
    **dict.fromkeys((_T.TYPE_UINT32, _T.TYPE_FIXED32), _integer(0, 2**32 - 1, "an unsigned 32-bit integer")),
    **dict.fromkeys(
        (_T.TYPE_INT64, _T.TYPE_SINT64, _T.TYPE_SFIXED64),
        _integer(-(2**63), 2**63 - 1, "a 64-bit integer"),
    ),
    **dict.fromkeys((_T.TYPE_UINT64, _T.TYPE_FIXED64), _integer(0, 2**64 - 1, "an unsigned 64-bit integer")),
}


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    slot: str  # what at most one key may set: the oneof's name, else the field's own
    repeated: bool
    message: bool
    convert: Converter | None  # None for message fields


def _converter(field: FieldDescriptor) -> Converter | None:
    if field.type == _T.TYPE_MESSAGE:
        return None
    if field.type == _T.TYPE_ENUM:
        return _enum(field.enum_type)
    if field.type == _T.TYPE_BYTES and field.name in HEX_ID_FIELDS:
        return _hex_id(HEX_ID_FIELDS[field.name])
    return _SCALARS[field.type]


@cache
def _fields(descriptor: Descriptor) -> dict[str, _Field]:
    """Map both JSON keys of every field (lowerCamelCase and proto name) to how to set it."""
    table: dict[str, _Field] = {}
    for field in descriptor.fields:
        oneof = field.containing_oneof
        plan = _Field(
            name=field.name,
            slot=oneof.name if oneof is not None else field.name,
            repeated=field.is_repeated,
            message=field.type == _T.TYPE_MESSAGE,
            convert=_converter(field),
        )
        table[field.json_name] = plan
        table[field.name] = plan
    return table


def _object(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise _fail("an object", value)


def merge(message: Message, document: dict[str, Any], depth: int = 0) -> None:
    """Set `message`'s fields from a JSON object; unknown keys are ignored, as OTLP requires."""
    if depth > CUT_DEPTH and message.DESCRIPTOR.full_name in _CONTAINERS:
        return
    fields = _fields(message.DESCRIPTOR)
    taken: dict[str, str] = {}  # slot -> the key that set it
    for key, value in document.items():
        field = fields.get(key)
        if field is None or value is None:  # null means "not set" in protobuf JSON
            continue
        if field.slot in taken:
            raise JsonPathError(f"{taken[field.slot]!r} and {key!r} cannot both be set")
        taken[field.slot] = key
        try:
            if field.repeated:
                _extend(message, field, value, depth)
            elif field.message:
                child_document = _object(value)
                child = getattr(message, field.name)
                child.SetInParent()  # `{}` still sets the field (and picks its oneof member)
                merge(child, child_document, depth + 1)
            else:
                setattr(message, field.name, field.convert(value))
        except JsonPathError as error:
            error.path.append(key)
            raise


def _extend(message: Message, field: _Field, values: Any, depth: int) -> None:
    if not isinstance(values, list):
        raise _fail("an array", values)
    target = getattr(message, field.name)
    converted: list[Any] = []
    for index, value in enumerate(values):
        try:
            if field.message:
                merge(target.add(), _object(value), depth + 1)
            else:
                converted.append(field.convert(value))
        except JsonPathError as error:
            error.path.append(index)
            raise
    if converted:
        target.extend(converted)  # one call for a long bucket list, not one per value
