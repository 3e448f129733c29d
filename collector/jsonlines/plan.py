"""A mapping plan per line shape: which value of a flat line fills which slot, decided once per shape.

A logger writes the same keys with the same value types on every line, so the dialect, the slot
each key fills (priorities resolved) and the attribute list's layout depend only on the shape
`(keys, value types)`. The mapper compiles a plan on the first line of a shape with the very rules
it walks nested lines with (its `_claim`), then maps each further line of that shape by indexing
its values: no per-key dialect lookups. Shapes holding nested objects keep the walk (None dialect).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import NamedTuple

from collector.jsonlines.dialects import DROP, Dialect

FLOAT_INTS = (-(2.0**63), 2.0**64)  # a float outside these may be an integer orjson could not hold
AS_IS, JSON, CHECK = 0, 1, 2  # how an attribute's value is taken: as it is, as JSON text, range-checked float


class Inexact(ValueError):
    """A number read as a float lies outside int64/uint64: it may be an integer orjson could not hold."""


class At(NamedTuple):
    """A value by its place in the line (stands in for the value while a plan is compiled)."""

    index: int
    how: int


class Plan(NamedTuple):
    dialect: Dialect | None  # None: the shape holds nested objects, which the mapper walks instead
    attrs: tuple[tuple[str, int, int], ...] = ()  # (attribute name, value index, how), in the walk's order
    slots: tuple[tuple[str, str, int], ...] = ()  # (slot, key, value index) of each slot's winner, in the walk's order
    take: Callable[[tuple], list] | None = None  # every attribute as it is: the whole list in one call
    render: Callable[[object], str] = str

    def attributes(self, values: tuple, exact: bool) -> list:
        """The line's attributes from its values (raise Inexact for a float past 64 bits unless `exact`)."""
        if self.take is not None:
            return self.take(values)
        out = []
        low, high = FLOAT_INTS
        for name, i, how in self.attrs:
            value = values[i]
            if how == JSON:
                value = self.render(value)
            elif how == CHECK and not exact and (value < low or value >= high):  # type: ignore[operator]
                raise Inexact(name)
            out.append((name, value))
        return out


def _same(value: object) -> object:
    return value


def _taker(names: tuple[str, ...], indices: tuple[int, ...]) -> Callable[[tuple], list]:
    if not indices:
        return lambda values: []
    if len(indices) == 1:
        name, index = names[0], indices[0]
        return lambda values: [(name, values[index])]
    get = itemgetter(*indices)
    return lambda values: list(zip(names, get(values), strict=True))


def compile_plan(shape: tuple[tuple[str, ...], tuple[type, ...]], dialect: Dialect, claim, render) -> Plan:
    """Compile the plan of a shape; `claim` is the mapper's slot rule, `render` its JSON text of a value."""
    keys, types = shape
    if dict in types:
        return Plan(None)
    slots = dialect.slots
    found: dict[str, tuple[int, str, At]] = {}
    attrs: list[tuple[str, At]] = []
    for i, (key, kind) in enumerate(zip(keys, types, strict=True)):
        hit = slots.get(key)
        how = JSON if kind is list else AS_IS
        if hit is None:
            attrs.append((key, At(i, CHECK if kind is float else how)))
        elif hit[0] != DROP:
            claim(found, attrs, hit, key, At(i, how), _same)
    layout = tuple((name, at.index, at.how) for name, at in attrs)
    take = None
    if all(how == AS_IS for _, _, how in layout):
        take = _taker(tuple(name for name, _, _ in layout), tuple(i for _, i, _ in layout))
    return Plan(dialect, layout, tuple((slot, key, at.index) for slot, (_, key, at) in found.items()), take, render)
