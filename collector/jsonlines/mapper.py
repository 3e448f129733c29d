"""Map one parsed JSON log line onto the OTel log model, by its dialect's slots (pure, no I/O).

Nested objects flatten to dotted keys (`{"user": {"id": 7}}` -> `user.id`), arrays become JSON text,
and a key no slot claims becomes an attribute as it is. Values that cannot fill their slot (a time
that does not parse, an id that is not hex) stay attributes under their own key: nothing is dropped
but a dialect's bookkeeping keys.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import orjson

from collector.jsonlines.dialects import (
    ATTR,
    DROP,
    FLAGS,
    INNER,
    LEVEL,
    LOGGER,
    MESSAGE,
    RESOURCE,
    SERVICE,
    SPAN_ID,
    TIME,
    TRACE_ID,
    Dialect,
    detect,
)
from collector.jsonlines.plan import FLOAT_INTS as _FLOAT_INTS
from collector.jsonlines.plan import Inexact, Plan, compile_plan
from collector.jsonlines.severity import RANGES, Scale, severity
from collector.jsonlines.timestamps import parse_timestamp
from collector.logwire import Attribute

TIMESTAMP_NOTE = "otelhouse.timestamp"  # attribute set when the line's own time was missing or unreadable
LEVEL_ORIGINAL = "log.level"  # the level as written, kept when it is not one of the six range names
_CANONICAL = frozenset(RANGES)


class TooDeep(ValueError):
    """A line's objects nest deeper than collector.json_max_depth."""


# A plan per line shape (its keys and their values' types): loggers write the same shape on every line.
_PLANS: dict[tuple, Plan] = {}


def _plan(obj: dict, shape: tuple) -> Plan:
    """Compile (and remember, bounded) the plan of a line's shape."""
    plan = compile_plan(shape, detect(obj, shape), _claim, json_text)
    if len(_PLANS) >= 4096:
        _PLANS.clear()
    _PLANS[shape] = plan
    return plan


def plan_of(obj: dict, shape: tuple) -> Plan:
    """The plan of a line's shape `(keys, value types)`: remembered, else compiled."""
    return _PLANS.get(shape) or _plan(obj, shape)


class MappedLine(NamedTuple):
    time_ns: int  # 0: the line has no readable time
    observed_ns: int  # 0: none in the line (the receiver uses the arrival time)
    severity_number: int
    severity_text: str
    body: str | None
    attributes: list[Attribute]
    trace_id: bytes
    span_id: bytes
    flags: int
    service: str | None
    logger: str
    resource: list[Attribute]


def json_text(value: object) -> str:
    """Render a JSON value compactly (arrays and objects stored in one attribute)."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # ints past 64 bits, too deep for orjson
        try:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        except (RecursionError, ValueError) as exc:
            raise TooDeep(str(exc)) from None


def scalar(value: object) -> object:
    """An attribute's value: a scalar as it is, an array or object as JSON text."""
    return json_text(value) if type(value) in (list, dict) else value


def text_of(value: object) -> str:
    """A body's or logger name's text: a string as it is, any other value as JSON text."""
    return value if type(value) is str else json_text(value)  # type: ignore[return-value]


def _walk(
    obj: dict, prefix: str, depth: int, dialect: Dialect, found: dict, attrs: list, max_depth: int, floats: tuple | None
) -> None:
    """Flatten `obj` into `attrs`, setting aside in `found` the values that fill a slot (best priority wins).

    A float outside `floats` (None: any) raises Inexact.
    """
    slots = dialect.slots
    for key, value in obj.items():
        name = prefix + key if prefix else key
        hit = slots.get(name)
        if type(value) is dict and (hit is None or hit[0] != TIME):
            if depth >= max_depth:
                raise TooDeep(f"objects nested more than {max_depth} levels deep")
            if value:
                _walk(value, name + ".", depth + 1, dialect, found, attrs, max_depth, floats)
            else:
                attrs.append((name, "{}"))
        elif hit is None:
            if floats and type(value) is float and (value < floats[0] or value >= floats[1]):
                raise Inexact(name)
            attrs.append((name, json_text(value) if type(value) is list else value))
        elif hit[0] != DROP:
            _claim(found, attrs, hit, name, value, scalar)


def _claim(found: dict, attrs: list, hit: tuple[str, int], name: str, value: object, scalar) -> None:
    """Let `name` fill slot `hit` if it has the best priority so far; the value that loses stays an attribute."""
    slot, priority = hit
    held = found.get(slot)
    if held is None:
        found[slot] = (priority, name, value)
    elif priority < held[0]:
        attrs.append((held[1], scalar(held[2])))
        found[slot] = (priority, name, value)
    else:
        attrs.append((name, scalar(value)))


def ident(value: object, width: int, decimal: bool) -> bytes | None:
    """Return a trace (16) or span (8) id as bytes from hex text (any case, dashes, 0x) or a decimal; None if invalid.

    A 64-bit trace id (16 hex digits, as Jaeger and Datadog write) is zero-padded to 128 bits.
    `decimal` reads digit strings as decimal (Datadog's dd.trace_id / dd.span_id).
    """
    if type(value) is int:
        number = value
    elif type(value) is str:
        if not decimal and len(value) == 2 * width:  # plain hex of the full width, as nearly every logger writes
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                raw = b""
            if len(raw) == width:
                return raw if any(raw) else None
        text = value.strip().lower().replace("-", "")
        text = text[2:] if text.startswith("0x") else text
        if not decimal and len(text) in (2 * width, 16):
            try:
                raw = bytes.fromhex(text.rjust(2 * width, "0"))
            except ValueError:
                return None
            return raw if any(raw) else None
        if not (text.isascii() and text.isdecimal()) or len(text) > 40:
            return None
        number = int(text)
    else:
        return None
    return number.to_bytes(width, "big") if 0 < number < 1 << (8 * width) else None


def _flags(value: object) -> int | None:
    if type(value) is bool:
        return int(value)
    if type(value) is int and 0 <= value <= 255:
        return value
    if type(value) is str and 0 < len(value) <= 2:
        try:
            return int(value, 16)
        except ValueError:
            return None
    return None


def level_fields(value: object, scale: Scale) -> tuple[int, str, Attribute | None]:
    """(severity number, severity text, the level as written when it must be kept) of a level field's value.

    A level that reads as none keeps its text as the severity text.
    """
    number, text = severity(value, scale)
    written = text_of(value)
    if not number:
        return 0, written, None
    return number, text, (None if written.upper() in _CANONICAL else (LEVEL_ORIGINAL, written))


def map_line(obj: dict, max_depth: int, parse_inner=None, depth: int = 0, exact_numbers: bool = False) -> MappedLine:
    """Map a parsed JSON object onto the log model; raise TooDeep past `max_depth` nesting.

    Raise Inexact for a float past the 64-bit integers unless `exact_numbers` (the object was read exactly).

    `parse_inner(text)` returns the object a container line's text holds (or None if it holds none),
    so a Docker/CRI line wrapping an application's JSON line maps that line too.
    """
    values = tuple(obj.values())
    shape = (tuple(obj), tuple(map(type, values)))
    plan = _PLANS.get(shape)
    if plan is None:
        plan = _plan(obj, shape)
    if plan.dialect is None:  # nested objects: walk them
        dialect = detect(obj, shape)
        found: dict[str, tuple[int, str, object]] = {}
        attrs: list[Attribute] = []
        _walk(obj, "", depth, dialect, found, attrs, max_depth, None if exact_numbers else _FLOAT_INTS)
    else:
        dialect = plan.dialect
        attrs = plan.attributes(values, exact_numbers)
        found = {slot: (0, key, values[i]) for slot, key, i in plan.slots}
    if not found:
        return MappedLine(0, 0, 0, "", None, attrs, b"", b"", 0, None, "", [])
    return _fill(found, attrs, dialect, max_depth, parse_inner, depth, exact_numbers)


def _fill(found: dict, attrs: list, dialect: Dialect, max_depth: int, parse_inner, depth: int, exact_numbers: bool):
    """Read the values that won a slot into the record's fields; one that cannot fill its slot stays an attribute."""
    time_ns = observed_ns = number = flags = 0
    text = logger = ""
    body: str | None = None
    trace = span = b""
    service: str | None = None
    resource: list[Attribute] = []
    inner: MappedLine | None = None
    for slot, (_, key, value) in found.items():
        if slot == TIME:
            time_ns = parse_timestamp(value) or 0
            if not time_ns:
                attrs.append((key, scalar(value)))
        elif slot == LEVEL:
            number, text, original = level_fields(value, dialect.scale)
            if original is not None:
                attrs.append(original)
        elif slot == MESSAGE:
            body = text_of(value)
        elif slot == INNER and type(value) is str:
            nested = parse_inner(value) if parse_inner and value[:1] == "{" else None
            if nested is not None:
                inner = map_line(nested, max_depth, None, depth + 1, exact_numbers)
            body = value[:-1] if value.endswith("\n") else value
        elif slot == LOGGER:
            logger = text_of(value)
        elif slot == TRACE_ID and (got := ident(value, 16, key.startswith("dd."))):
            trace = got
        elif slot == SPAN_ID and (got := ident(value, 8, key.startswith("dd."))):
            span = got
        elif slot == FLAGS and (got_flags := _flags(value)) is not None:
            flags = got_flags
        elif slot == SERVICE and type(value) is str:
            service = value
        elif slot.startswith(ATTR):
            attrs.append((slot[5:], scalar(value)))
        elif slot.startswith(RESOURCE):
            resource.append((slot[4:], scalar(value)))
        else:  # a value that cannot fill its slot stays an attribute
            attrs.append((key, scalar(value)))
    line = MappedLine(time_ns, observed_ns, number, text, body, attrs, trace, span, flags, service, logger, resource)
    return _merge(line, inner) if inner is not None else line


def _merge(outer: MappedLine, inner: MappedLine) -> MappedLine:
    """A container line around an application's line: the application's fields win, the runtime's time is observed."""
    time_ns, observed_ns = (inner.time_ns, outer.time_ns) if inner.time_ns else (outer.time_ns, 0)
    return MappedLine(
        time_ns,
        observed_ns,
        inner.severity_number or outer.severity_number,
        inner.severity_text or outer.severity_text,
        inner.body,
        outer.attributes + inner.attributes,
        inner.trace_id or outer.trace_id,
        inner.span_id or outer.span_id,
        inner.flags or outer.flags,
        inner.service or outer.service,
        inner.logger or outer.logger,
        outer.resource + inner.resource,
    )
