"""The record of a flat line built in one step from its shape's plan; a value off the usual road defers to the mapper.

Lines of one request nearly always come from one logger, and nearly all map without surprises: a
time that parses, a level, a message, hex ids. For those, the mapper's layers (the slot table walk,
MappedLine, the Record and its encoding) cost more than reading the values. A Fast, made once per
shape from the mapper's own plan (so the dialect is still decided by the whole line's shape), is a
function compiled for that shape (collector/jsonlines/fastcode.py) that reads each slot's value by
index and writes the encoded LogRecord straight away. When a value would need one of the mapper's
other rules (a time that does not parse or is not kept, an id that is not hex, a float that may be
a rounded big integer, more attributes than allowed), it answers None and the line takes the
mapper (convert.map_object), which applies them all. tests/collector/test_logs_fuzz.py checks that
both roads give the same record bytes for any flat line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from collector.jsonlines import fastcode
from collector.jsonlines.dialects import ATTR, LEVEL, LOGGER, MESSAGE, RESOURCE, SERVICE, SPAN_ID, TIME, TRACE_ID
from collector.jsonlines.mapper import TIMESTAMP_NOTE, ident, level_fields, plan_of, scalar, text_of
from collector.jsonlines.plan import FLOAT_INTS, Plan
from collector.jsonlines.timestamps import parse_timestamp
from collector.logwire import Attribute, Cut, attribute, attributes, cacheable, pack_fixed64, severity_fields, varint

_TIME, _LEVEL, _MESSAGE, _LOGGER, _TRACE, _SPAN, _SERVICE, _ATTR, _RESOURCE = range(9)
_SIMPLE = {TIME: _TIME, LEVEL: _LEVEL, MESSAGE: _MESSAGE, LOGGER: _LOGGER, TRACE_ID: _TRACE, SPAN_ID: _SPAN}
Mapped = tuple[bytes, str, str | None, list[Attribute]]  # the framed record, its logger (scope), service, resource


class Target(NamedTuple):
    """What the records of one request are written to: its arrival, the times storage keeps, the limits."""

    arrival_ns: int
    observed: bytes  # the record's observed_time_unix_nano field: the arrival time, the same on every line
    low: int  # the times storage keeps (collector.otlp.limits window): a line outside goes to the mapper
    high: int
    max_attributes: int
    cut: Cut
    keep: bool  # whether encoded attribute values may be remembered under these limits (logwire.cacheable)


def target(arrival_ns: int, window: tuple[int, int], max_attributes: int, cut: Cut) -> Target:
    """The Target of a request that arrived at `arrival_ns` (its records' observed time)."""
    return Target(arrival_ns, b"\x59" + pack_fixed64(arrival_ns), *window, max_attributes, cut, cacheable(cut))


MISMATCH = object()  # what a Fast answers for a line whose values' types are not its shape's


class Fast:
    """The one-step mapping of the lines of one flat shape, straight to the encoded LogRecord.

    `record(values, to)` is compiled from the shape's steps (collector/jsonlines/fastcode.py): it
    answers the encoded record framed for LogsBuilder.group (logwire.framed), its logger (scope),
    service and resource attributes; None when the mapper must map the line; MISMATCH when a
    value's type is not the shape's. The bytes are what logwire.encode_record writes for the record
    the mapper builds.
    """

    __slots__ = ("levels", "record", "scale")

    def __init__(self, plan: Plan, types: tuple[type, ...], steps: tuple[tuple[int, str, int], ...]) -> None:
        self.scale = plan.dialect.scale  # type: ignore[union-attr]
        self.levels: dict[str, tuple[bytes, Attribute | None]] = {}  # a logger writes a handful of levels
        # each simple slot is filled by one key at most: its value's index
        index = {what: i for what, _, i in steps}
        extras = [(None if what == _LEVEL else name, i) for what, name, i in steps if what in (_LEVEL, _ATTR)]
        resources = [(name, i) for what, name, i in steps if what == _RESOURCE]
        # the attributes no slot claims, in the plan's order, each with a cache of its encoded values
        # when their type allows one (the shape fixes the type at each place)
        cached = [types[i] in (str, int, bool) for _, i, _ in plan.attrs]
        code = fastcode.compiled(
            fastcode.Steps(
                types,
                tuple((i, how, c) for (_, i, how), c in zip(plan.attrs, cached, strict=True)),
                *(index.get(what, -1) for what in (_TIME, _LEVEL, _MESSAGE, _LOGGER, _SERVICE, _TRACE, _SPAN)),
                tuple(-1 if name is None else i for name, i in extras),
                tuple(i for _, i in resources),
            )
        )
        names = {
            **{f"T{i}": kind for i, kind in enumerate(types)},
            **{f"n{j}": name for j, (name, _, _) in enumerate(plan.attrs)},
            **{f"c{j}": {} for j, c in enumerate(cached) if c},
            **{f"e{k}": name for k, (name, _) in enumerate(extras)},
            **{f"r{k}": name for k, (name, _) in enumerate(resources)},
            "MISMATCH": MISMATCH,
            "LOW": FLOAT_INTS[0],
            "HIGH": FLOAT_INTS[1],
            "NOTE": (TIMESTAMP_NOTE, "arrival"),
            "levels": self.levels,
            "level_of": self._level,
            "render": plan.render,
            "attribute": attribute,
            "attributes": attributes,
            "parse_timestamp": parse_timestamp,
            "ident": ident,
            "scalar": scalar,
            "text_of": text_of,
            "varint": varint,
            "pack": pack_fixed64,
        }
        exec(code, names)  # our own source, see fastcode: defines `record` in `names`
        self.record: Callable[[tuple, Target], Mapped | object | None] = names["record"]

    def _level(self, value: str) -> tuple[bytes, Attribute | None]:
        """The severity fields and the level as written (when kept) of a level value; remembered when short."""
        number, text, original = level_fields(value, self.scale)
        level = (severity_fields(number, text), original)
        if len(self.levels) < 256 and len(value) <= 64:  # a level as loggers write it, not a big text
            self.levels[value] = level
        return level


class Recent:
    """The shape of a request's previous line: the next line, with the same keys, skips the shape lookup."""

    def __init__(self) -> None:
        self.keys: tuple[str, ...] = ()
        self.fast: Fast | None = None

    def record(self, obj: dict, to: Target) -> Mapped | None:
        """The line's record by its shape's Fast, or None when the mapper must map it (TooDeep: it must)."""
        values = tuple(obj.values())
        keys = tuple(obj)
        fast = self.fast
        if fast is not None and keys == self.keys:
            done = fast.record(values, to)
            if done is not MISMATCH:
                return done  # type: ignore[return-value]
        fast = fast_of(obj, (keys, tuple(map(type, values))))
        if fast is None:
            return None
        self.keys, self.fast = keys, fast
        return fast.record(values, to)  # type: ignore[return-value]


def compile_fast(plan: Plan, types: tuple[type, ...]) -> Fast | None:
    """The Fast of a plan, or None when its lines need the mapper (nested objects, container lines, flags)."""
    if plan.dialect is None:
        return None
    steps = []
    for slot, key, i in plan.slots:
        kind = types[i]
        if slot in _SIMPLE:
            what = _SIMPLE[slot]
            if what in (_TRACE, _SPAN) and key.startswith("dd."):  # Datadog's ids are decimal: the mapper reads them
                return None
            if what == _LEVEL and kind is not str:  # numbers and the rest: the mapper renders them
                return None
        elif slot == SERVICE and kind is str:
            what = _SERVICE
        elif slot.startswith(ATTR):
            what, key = _ATTR, slot[len(ATTR) :]
        elif slot.startswith(RESOURCE):
            what, key = _RESOURCE, slot[len(RESOURCE) :]
        else:
            return None
        steps.append((what, key, i))
    return Fast(plan, types, tuple(steps))


# A Fast per shape (False: lines of that shape take the mapper; an int: lines of it seen so far,
# mapped by the mapper until COMPILE_AT), bounded like the mapper's plans. A shape is compiled once
# it recurs: a stream whose every line has a shape of its own must not pay a compile per line.
_FAST: dict[tuple, Fast | bool | int] = {}
COMPILE_AT = 8


def fast_of(obj: dict, shape: tuple) -> Fast | None:
    """The Fast of a line's shape (compiled once seen COMPILE_AT times), None when the line takes the mapper."""
    found = _FAST.get(shape)
    if found is None or type(found) is int:
        seen = (found or 0) + 1
        found = (compile_fast(plan_of(obj, shape), shape[1]) or False) if seen >= COMPILE_AT else seen
        if len(_FAST) >= 4096:
            _FAST.clear()
        _FAST[shape] = found
    return found if type(found) is Fast else None
