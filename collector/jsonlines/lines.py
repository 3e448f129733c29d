"""Split a JSON-lines request body into lines and parse each one (pure, no I/O).

The body's shape decides, not its Content-Type: a body that parses whole as a JSON array holds one
line per element, one that parses as an object is one line, anything else is newline-delimited
(NDJSON; `\r\n` too, blank lines skipped but counted, so line numbers match the sender's file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import NamedTuple

import orjson

# orjson refuses NaN/Infinity and lone surrogate escapes, and turns integers past 64 bits into
# floats (the mapper notices those); the standard library reads all of them exactly, so such lines
# take that slower road.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class Line(NamedTuple):
    number: int  # 1-based: the line of an NDJSON body, the element of an array
    raw: bytes  # the line as sent (for an array element: its JSON text)
    value: object  # the parsed JSON value; None with `problem` set when it is not JSON
    problem: str  # why the line is not JSON ('' when it is)
    repaired: bool  # invalid UTF-8 or lone surrogates were replaced with U+FFFD


def parse_line(raw: bytes | str, exact: bool = False) -> tuple[object, str, bool]:
    """Return (value, problem, repaired) for one line: problem is '' when the line is JSON.

    `exact` reads with the standard library, which keeps integers past 64 bits (orjson makes them floats).
    """
    if not exact:
        try:
            return orjson.loads(raw), "", False
        except orjson.JSONDecodeError:
            pass
    try:
        value = json.loads(raw)
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")  # type: ignore[union-attr]
        value, problem, _ = parse_line(text)
        return value, problem, True
    except RecursionError:
        return None, "not JSON: nested too deeply to read", False
    except ValueError as exc:
        return None, f"not JSON: {getattr(exc, 'msg', exc)} at column {getattr(exc, 'colno', '?')}", False
    repaired = bool(_SURROGATE_ESCAPE.search(raw if type(raw) is bytes else raw.encode("utf-8", "surrogatepass")))  # type: ignore[arg-type]
    return value, "", repaired


def count_lines(body: bytes) -> int:
    """An upper bound of the lines in a body, counted at C speed (for the per-request limit)."""
    return body.count(b"\n") + 1


def split_lines(body: bytes, max_line_bytes: int = 1 << 62) -> Iterator[Line]:
    """Yield every non-blank line of a body with its parsed value (see the module docstring).

    A line longer than `max_line_bytes` is yielded unparsed (the caller rejects it): reading it
    would cost memory for nothing.
    """
    stripped = body.strip()
    first = stripped[:1]
    # a body opening with an object whose first line is not a whole object: one pretty-printed object
    if first == b"[" or (first == b"{" and parse_line(stripped.split(b"\n", 1)[0])[1]):
        whole, problem, repaired = parse_line(stripped)
        if not problem:
            if type(whole) is list:
                for i, value in enumerate(whole, 1):
                    yield Line(i, b"", value, "", repaired)
                return
            yield Line(1, stripped, whole, "", repaired)
            return
    loads, line = orjson.loads, tuple.__new__  # a Line from a tuple in C: this loop runs once per line
    for i, raw in enumerate(body.split(b"\n"), 1):
        if len(raw) > max_line_bytes:
            if not raw.isspace():
                yield Line(i, raw, None, "too long", False)
            continue
        try:
            value = loads(raw)
        except orjson.JSONDecodeError:  # blank, or for parse_line to read another way or say why not
            if raw and not raw.isspace():
                yield Line(i, raw, *parse_line(raw))
            continue
        yield line(Line, (i, raw, value, "", False))
