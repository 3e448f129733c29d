"""Query-string parsing for every page: each rule is a pure function raising BadRequest naming the input."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime

from dashboard.metricmath import choose_step
from storage.queries.common import NS, AttrFilter, Window

MAX_TEXT = 1024  # characters in one value
MAX_RANGE_S = 400 * 86400
MAX_POINTS = 2000
_RELATIVE = re.compile(r"now(?:-(\d{1,6})([smhdw]))?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_HEX = re.compile(r"[0-9a-fA-F]+")
_KEY = re.compile(r"[^=!\s][^=]*")


class BadRequest(ValueError):
    """The request's parameters are wrong; the message says which and why."""


class NotFound(LookupError):
    """The path names something that does not exist; the message says what."""


def text(q: Mapping[str, str], name: str, default: str = "", max_len: int = MAX_TEXT) -> str:
    """Return a bounded text parameter."""
    value = q.get(name, default)
    if len(value) > max_len:
        raise BadRequest(f"parameter '{name}' is longer than {max_len} characters")
    if "\x00" in value:
        raise BadRequest(f"parameter '{name}' contains a NUL character")
    return value


def texts(q, name: str, max_count: int = 50) -> tuple[str, ...]:
    """Return every value of a repeated parameter (empty ones dropped), bounded in count and length."""
    values = q.getall(name, []) if hasattr(q, "getall") else ([q[name]] if name in q else [])
    if len(values) > max_count:
        raise BadRequest(f"parameter '{name}' is given more than {max_count} times")
    return tuple(v for v in (text({name: v}, name) for v in values) if v)


def integer(q: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """Return an integer parameter within [lo, hi]."""
    raw = text(q, name, str(default), 32)
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"parameter '{name}' must be an integer, got {raw[:40]!r}") from None
    if not lo <= value <= hi:
        raise BadRequest(f"parameter '{name}' must be between {lo} and {hi}, got {value}")
    return value


def choice(q: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str = "") -> str:
    """Return a parameter that must be one of `allowed` (or empty)."""
    value = text(q, name, default, 64)
    if value and value not in allowed:
        raise BadRequest(f"parameter '{name}' must be one of {', '.join(allowed)}, got {value[:40]!r}")
    return value


def instant(value: str, name: str, now_ns: int) -> int:
    """Parse now, now-15m, epoch milliseconds or ISO 8601 into Unix nanoseconds."""
    m = _RELATIVE.fullmatch(value)
    if m:
        n, unit = m.groups()
        return now_ns - (int(n) * _UNITS[unit] * NS if n else 0)
    if value.isdigit() and len(value) <= 15:
        return int(value) * 1_000_000
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            f"parameter '{name}' must be now, now-<n><s|m|h|d|w>, epoch milliseconds or an ISO 8601 time, "
            f"got {value[:40]!r}"
        ) from None
    if parsed.tzinfo is None:
        raise BadRequest(f"parameter '{name}' needs a time zone (e.g. Z or +02:00), got {value[:40]!r}")
    if not 1970 <= parsed.year <= 2200:
        raise BadRequest(f"parameter '{name}' is out of range: {value[:40]!r}")
    return int(parsed.timestamp()) * NS + parsed.microsecond * 1000


def window(q: Mapping[str, str], now_ns: int | None = None, default_from: str = "now-1h") -> Window:
    """Return the [from, to) window with a step (given, or chosen from the range)."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    start = instant(text(q, "from", default_from, 64) or default_from, "from", now_ns)
    end = instant(text(q, "to", "now", 64) or "now", "to", now_ns)
    if end <= start:
        raise BadRequest("parameter 'to' must be after 'from'")
    seconds = (end - start) / NS
    if seconds > MAX_RANGE_S:
        raise BadRequest(f"the time range is longer than {MAX_RANGE_S // 86400} days")
    step = integer(q, "step", 0, 0, 7 * 86400) or choose_step(seconds)
    if seconds / step > MAX_POINTS:
        raise BadRequest(f"parameter 'step' draws more than {MAX_POINTS} points over this range; make it larger")
    return Window(start, end, step)


def hex_id(value: str, name: str, length: int) -> str:
    """Return a lowercase hex id of exactly `length` characters."""
    if len(value) != length or not _HEX.fullmatch(value):
        raise BadRequest(f"{name} must be {length} hexadecimal characters, got {value[:40]!r}")
    return value.lower()


def optional_hex(q: Mapping[str, str], name: str, length: int) -> str:
    """Return a hex id parameter, or '' when absent."""
    value = text(q, name, "", 64).strip()
    return hex_id(value, f"parameter '{name}'", length) if value else ""


def attr_filter(raw: str) -> AttrFilter:
    """Parse key=value, key!=value, key (exists) or !key (absent)."""
    if "!=" in raw:
        key, value = raw.split("!=", 1)
        op = "!="
    elif "=" in raw:
        key, value = raw.split("=", 1)
        op = "="
    elif raw.startswith("!"):
        key, value, op = raw[1:], "", "absent"
    else:
        key, value, op = raw, "", "exists"
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise BadRequest(f"attribute filter {raw[:40]!r} must look like key=value, key!=value, key or !key")
    return AttrFilter(key, op, value.strip())


def attr_filters(q) -> tuple[AttrFilter, ...]:
    """Return the repeated `attr` parameter's filters."""
    return tuple(attr_filter(raw) for raw in texts(q, "attr", 20))


def cursor(q: Mapping[str, str], name: str) -> tuple[int, int] | None:
    """Return a (timestamp ns, tie-break) cursor written as 'ts:tie', or None."""
    raw = text(q, name, "", 64)
    if not raw:
        return None
    parts = raw.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 20 for p in parts):
        raise BadRequest(f"parameter '{name}' must be a cursor from a previous answer, got {raw[:40]!r}")
    ts, tie = int(parts[0]), int(parts[1])
    if ts >= 2**63 or tie >= 2**64:
        raise BadRequest(f"parameter '{name}' is out of range")
    return ts, tie
