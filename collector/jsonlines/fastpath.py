"""The record of a flat line built in one step from its shape's plan; a value off the usual road defers to the mapper.

Lines of one request nearly always come from one logger, and nearly all map without surprises: a
time that parses, a level, a message, hex ids. For those, the mapper's layers (the slot table walk,
MappedLine, the record built from it) cost more than reading the values. A Fast, compiled once per
shape from the mapper's own plan (so the dialect is still decided by the whole line's shape), reads
each slot's value by index straight into the Record. When a value would need one of the mapper's
other rules (a time that does not parse, an id that is not hex, a float that may be a rounded big
integer, more attributes than allowed), it answers None and the line takes the mapper
(convert.map_object), which applies them all. tests/collector/test_logs_fuzz.py checks that both
roads give the same record bytes for any flat line.
"""

from __future__ import annotations

from collector.jsonlines.dialects import ATTR, LEVEL, LOGGER, MESSAGE, RESOURCE, SERVICE, SPAN_ID, TIME, TRACE_ID
from collector.jsonlines.mapper import TIMESTAMP_NOTE, ident, level_fields, plan_of, scalar, text_of
from collector.jsonlines.plan import CHECK, FLOAT_INTS, JSON, Plan
from collector.jsonlines.timestamps import parse_timestamp
from collector.logwire import Attribute, Cut, Record, attribute, attributes, cacheable

_TIME, _LEVEL, _MESSAGE, _LOGGER, _TRACE, _SPAN, _SERVICE, _ATTR, _RESOURCE = range(9)
_SIMPLE = {TIME: _TIME, LEVEL: _LEVEL, MESSAGE: _MESSAGE, LOGGER: _LOGGER, TRACE_ID: _TRACE, SPAN_ID: _SPAN}
Mapped = tuple[Record, str, str | None, list[Attribute]]  # the record, its logger (scope), service, resource


class Fast:
    """The one-step mapping of the lines of one flat shape."""

    __slots__ = ("columns", "levels", "render", "scale", "steps")

    def __init__(self, plan: Plan, types: tuple[type, ...], steps: tuple[tuple[int, str, int], ...]) -> None:
        # the attributes no slot claims, in the plan's order, each with a cache of its encoded values
        # when their type allows one (the shape fixes the type at each place)
        cached = (str, int, bool)
        self.columns = tuple((name, i, how, {} if types[i] in cached else None) for name, i, how in plan.attrs)
        self.render = plan.render
        self.steps = steps  # (what, attribute name or key, value index), in the plan's slot order
        self.scale = plan.dialect.scale  # type: ignore[union-attr]
        self.levels: dict[object, tuple[int, str, Attribute | None]] = {}  # a logger writes a handful of levels

    def record(self, values: tuple, arrival_ns: int, max_attributes: int, cut: Cut) -> Mapped | None:
        """The line's record (attributes encoded to `cut`) and where it goes, or None when the mapper must map it."""
        keep = cacheable(cut)
        encoded = []
        low, high = FLOAT_INTS
        for name, i, how, cache in self.columns:
            value = values[i]
            found = cache.get(value) if cache is not None and keep else None
            if found is None:
                if how == JSON:
                    value = self.render(value)
                elif how == CHECK and (value < low or value >= high):  # maybe a rounded big integer
                    return None
                found = attribute(name, value, cut, cache if keep else None)
            encoded.append(found)
        attrs: list[Attribute] = []
        time_ns = number = 0
        text = logger = ""
        body: str | None = None
        trace = span = b""
        service: str | None = None
        resource: list[Attribute] = []
        for what, name, i in self.steps:
            value = values[i]
            if what == _TIME:
                time_ns = parse_timestamp(value) or 0
                if not time_ns:
                    return None
            elif what == _LEVEL:
                level = self.levels.get(value)
                if level is None:
                    level = level_fields(value, self.scale)
                    if len(self.levels) < 256 and len(value) <= 64:  # a level as loggers write it, not a big text
                        self.levels[value] = level
                number, text, original = level
                if original is not None:
                    attrs.append(original)
            elif what == _MESSAGE:
                body = text_of(value)
            elif what == _TRACE:
                trace = ident(value, 16, False)  # type: ignore[assignment]
                if trace is None:
                    return None
            elif what == _SPAN:
                span = ident(value, 8, False)  # type: ignore[assignment]
                if span is None:
                    return None
            elif what == _ATTR:
                attrs.append((name, scalar(value)))
            elif what == _RESOURCE:
                resource.append((name, scalar(value)))
            elif what == _LOGGER:
                logger = text_of(value)
            else:
                service = value
        if len(encoded) + len(attrs) >= max_attributes:  # the mapper stores such a line raw
            return None
        if not time_ns:
            attrs.append((TIMESTAMP_NOTE, "arrival"))
        if attrs:
            encoded.append(attributes(attrs, cut))
        record = Record(time_ns, arrival_ns, number, text, body, b"".join(encoded), trace, span)
        return record, logger, service, resource


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


# A Fast per shape (False: lines of that shape take the mapper), bounded like the mapper's plans.
_FAST: dict[tuple, Fast | bool] = {}


def fast_of(obj: dict, shape: tuple) -> Fast | None:
    """The Fast of a line's shape (compiled and remembered), None when its lines take the mapper."""
    found = _FAST.get(shape)
    if found is None:
        found = compile_fast(plan_of(obj, shape), shape[1]) or False
        if len(_FAST) >= 4096:
            _FAST.clear()
        _FAST[shape] = found
    return found or None
