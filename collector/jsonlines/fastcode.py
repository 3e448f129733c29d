"""The source of one flat shape's record function: its steps written out, for fastpath.Fast to compile.

A shape fixes which value fills which slot and each value's type, so the per-line work can be
straight-line code: no loop over the slots, no test of what each one is, no type dispatch. Only
numbers (value indices, counts) and names of this module's making go into the source; keys, names
and caches reach the function through its namespace, so nothing a client sends is ever code.

The function is `record(values, to)`: it answers MISMATCH when a value's type is not the shape's
(fastpath.Recent then looks the line's own shape up), None when the mapper must map the line, else
(the encoded LogRecord framed as its ScopeLogs' field (logwire.framed), logger, service, resource
attributes).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import CodeType
from typing import NamedTuple

from collector.jsonlines.plan import CHECK, JSON


class Steps(NamedTuple):
    """What a flat shape's line becomes, by value index (-1: no such slot in the shape)."""

    types: tuple[type, ...]
    columns: tuple[tuple[int, int, bool], ...]  # attributes no slot claims: (value index, how, cached)
    time: int
    level: int
    message: int
    logger: int
    service: int
    trace: int
    span: int
    extras: tuple[int, ...]  # attributes the slots add, in slot order: -1 the level as written, else an index
    resources: tuple[int, ...]


def _lines(s: Steps) -> Iterator[str]:
    n = len(s.types)
    yield "def record(values, to):"
    if n:
        yield f"    {', '.join(f'v{i}' for i in range(n))}, = values"
        yield f"    if {' or '.join(f'type(v{i}) is not T{i}' for i in range(n))}:"
        yield "        return MISMATCH"
    yield "    cut = to.cut"
    if any(cached for _, _, cached in s.columns):
        yield "    keep = to.keep"
    for j, (i, how, cached) in enumerate(s.columns):
        if cached:
            yield f"    a{j} = c{j}.get(v{i}) if keep else None"
            yield f"    if a{j} is None:"
            yield f"        a{j} = attribute(n{j}, v{i}, cut, c{j} if keep else None)"
        elif how == JSON:
            yield f"    a{j} = attribute(n{j}, render(v{i}), cut, None)"
        else:
            if how == CHECK:  # a float that may be a rounded big integer
                yield f"    if v{i} < LOW or v{i} >= HIGH:"
                yield "        return None"
            yield f"    a{j} = attribute(n{j}, v{i}, cut, None)"
    if s.time >= 0:
        yield f"    t = parse_timestamp(v{s.time})"
        yield "    if not t or not to.low <= t <= to.high:"
        yield "        return None"
    else:
        yield "    if not to.low <= to.arrival_ns <= to.high:"
        yield "        return None"
    if s.level >= 0:
        yield f"    level = levels.get(v{s.level})"
        yield "    if level is None:"
        yield f"        level = level_of(v{s.level})"
        yield "    severity, original = level"
    yield "    attrs = []"
    for k, i in enumerate(s.extras):
        if i < 0:
            yield "    if original is not None:"
            yield "        attrs.append(original)"
        else:
            yield f"    attrs.append((e{k}, scalar(v{i})))"
    yield f"    if {len(s.columns)} + len(attrs) >= to.max_attributes:"  # the mapper stores such a line raw
    yield "        return None"
    if s.time < 0:
        yield "    attrs.append(NOTE)"
    parts = [f"a{j}" for j in range(len(s.columns))] + ["attributes(attrs, cut) if attrs else b''"]
    for name, index, width, tag in (("trace", s.trace, 16, "\\x4a\\x10"), ("span", s.span, 8, "\\x52\\x08")):
        if index >= 0:
            yield f"    {name} = ident(v{index}, {width}, False)"
            yield f"    if {name} is None:"
            yield "        return None"
            parts += [f"b'{tag}'", name]
    head = []
    if s.time >= 0:
        head += ["b'\\x09'", "pack(t)"]
    if s.level >= 0:
        head.append("severity")
    if s.message >= 0:
        text = f"v{s.message}" if s.types[s.message] is str else f"text_of(v{s.message})"
        yield f"    text = cut.text({text}, cut.body)"
        yield "    value = b'\\x0a' + varint(len(text)) + text"
        head += ["b'\\x2a'", "varint(len(value))", "value"]
    # the fields in number order: time, severity, body, attributes, trace and span ids, observed time
    yield f"    encoded = b''.join(({', '.join([*head, *parts, 'to.observed'])}))"
    yield "    encoded = b'\\x12' + varint(len(encoded)) + encoded"  # framed as its ScopeLogs' log_records field
    logger = f"text_of(v{s.logger})" if s.logger >= 0 else "''"
    service = f"v{s.service}" if s.service >= 0 else "None"
    resource = ", ".join(f"(r{k}, scalar(v{i}))" for k, i in enumerate(s.resources))
    yield f"    return encoded, {logger}, {service}, [{resource}]"


def source(steps: Steps) -> str:
    """The Python source of a shape's record function (see the module docstring)."""
    return "\n".join(_lines(steps)) + "\n"


# Compiled sources: shapes that differ only in their keys' names (a field named after a user id, a
# request path) have the same steps, and compiling costs ~0.3-0.9 ms against tens of us to write.
_CODE: dict[str, CodeType] = {}


def compiled(steps: Steps) -> CodeType:
    """The compiled source of a shape's record function, remembered (bounded)."""
    text = source(steps)
    code = _CODE.get(text)
    if code is None:
        code = compile(text, "<jsonlines fast path>", "exec")
        if len(_CODE) >= 1024:
            _CODE.clear()
        _CODE[text] = code
    return code
