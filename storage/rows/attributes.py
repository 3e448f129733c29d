"""The one rule turning OTLP values into strings, shared by every table (the native views agree).

An attribute value (AnyValue) becomes:
- string: as is; bool: `true` / `false`; int: decimal; double: as ClickHouse's toString(Float64)
  renders it (shortest round-trip digits; plain notation for 1e-7 < |x| < 1e21, else `1e21`,
  `1.5e-7`; `-0`, `nan`, `inf`, `-inf`); bytes: base64; unset: `''`.
- array / kvlist: compact JSON, `[1,"a",true]`, `{"k":"v"}` (kvlist keys in the order sent). Inside
  JSON: strings and keys JSON-escaped as ClickHouse's toJSONString does (`"` `\\` `/` escaped,
  control characters as `\\n` or `\\u001F`, U+2028/2029 escaped, other characters raw), ints as
  numbers, finite doubles as numbers by the rule above, NaN/inf as the strings `"nan"`, `"inf"`,
  `"-inf"`, bytes as base64 strings, unset values as `null`, arrays and kvlists recursively.
Attribute lists become maps with keys sorted (last value wins for a repeated key). Ids become
lowercase hex, `''` when empty or all zero.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from decimal import Decimal

_JSON_ESCAPES = {i: f"\\u{i:04X}" for i in range(0x20)} | {
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x2F: "\\/",
    0x5C: "\\\\",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def format_double(x: float) -> str:
    """Render a double exactly as ClickHouse's toString(Float64) does."""
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign, digit_tuple, exp = Decimal(repr(x)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exp += len(digit_tuple) - len(digits)  # the stripped zeros move into the exponent
    point = len(digits) + exp  # where the decimal point falls, counted from the first digit
    prefix = "-" if sign else ""
    if -6 < point <= 21:  # ClickHouse writes plain notation for 1e-7 < |x| < 1e21
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{prefix}{digits}{'0' * (point - len(digits))}"
        return f"{prefix}{digits[:point]}.{digits[point:]}"
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    return f"{prefix}{mantissa}e{point - 1}"


def json_string(s: str) -> str:
    """Quote a string for JSON as ClickHouse's toJSONString does."""
    return f'"{s.translate(_JSON_ESCAPES)}"'


def _json(v: object) -> str:
    kind = v.WhichOneof("value")  # type: ignore[attr-defined]
    if kind == "string_value":
        return json_string(v.string_value)  # type: ignore[attr-defined]
    if kind == "double_value":
        d = v.double_value  # type: ignore[attr-defined]
        return format_double(d) if math.isfinite(d) else f'"{format_double(d)}"'
    if kind == "bytes_value":
        return f'"{base64.b64encode(v.bytes_value).decode()}"'  # type: ignore[attr-defined]
    if kind in ("array_value", "kvlist_value"):
        return _container(v, kind)
    return "null" if kind in (None, "string_value_strindex") else text(v)


def _container(v: object, kind: str) -> str:
    if kind == "array_value":
        return "[" + ",".join(_json(x) for x in v.array_value.values) + "]"  # type: ignore[attr-defined]
    pairs = v.kvlist_value.values  # type: ignore[attr-defined]
    return "{" + ",".join(f"{json_string(kv.key)}:{_json(kv.value)}" for kv in pairs) + "}"


def text(v: object) -> str:
    """Render an AnyValue as its attribute string."""
    kind = v.WhichOneof("value")  # type: ignore[attr-defined]
    if kind == "string_value":
        return v.string_value  # type: ignore[attr-defined]
    if kind == "int_value":
        return str(v.int_value)  # type: ignore[attr-defined]
    if kind == "bool_value":
        return "true" if v.bool_value else "false"  # type: ignore[attr-defined]
    if kind == "double_value":
        return format_double(v.double_value)  # type: ignore[attr-defined]
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()  # type: ignore[attr-defined]
    if kind in ("array_value", "kvlist_value"):
        return _container(v, kind)
    return ""


def attributes(kvs: Iterable[object]) -> dict[str, str]:
    """Render a KeyValue list as a map with sorted keys (ClickHouse compares maps by position)."""
    rendered = {kv.key: text(kv.value) for kv in kvs}  # type: ignore[attr-defined]
    return dict(sorted(rendered.items()))


def hex_id(raw: bytes) -> str:
    """Render an id as lowercase hex, '' when empty or all zero."""
    return raw.hex() if raw.strip(b"\0") else ""


def nanos(t: int) -> int:
    """Return a fixed64 nanosecond time as the Int64 that DateTime64(9) holds (ClickHouse wraps too)."""
    return t - (1 << 64) if t >= 1 << 63 else t
