"""Turn a logger's level into the OTel severity number (1-24) and its range name (TRACE ... FATAL).

Names are read case-insensitively with an optional slog-style offset (`WARN+2` is two steps above
WARN). Numbers depend on the logger, which is why the dialect (the line's shape) picks the scale:
pino and bunyan write 30 for INFO, Python's logging 30 for WARNING.
"""

from __future__ import annotations

import re
from enum import Enum

RANGES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


class Scale(Enum):
    """How a dialect's numeric levels read."""

    NAMES = "names"  # numbers carry no agreed meaning: severity unset
    PINO = "pino"  # pino, bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal
    PYTHON = "python"  # logging: 10 DEBUG, 20 INFO, 30 WARNING, 40 ERROR, 50 CRITICAL (5: TRACE, by custom)


# name -> OTel severity number (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21)
NAMES = {
    "trace": 1,
    "silly": 1,  # winston
    "finest": 1,  # java.util.logging
    "debug": 5,
    "dbug": 5,
    "fine": 5,
    "verbose": 6,  # winston: between debug and http
    "http": 7,  # winston: between verbose and info
    "config": 7,
    "info": 9,
    "information": 9,
    "informational": 9,
    "notice": 10,
    "warn": 13,
    "warning": 13,
    "error": 17,
    "err": 17,
    "severe": 17,
    "exception": 17,  # structlog's log.exception()
    "critical": 21,  # Python's CRITICAL is OTel's FATAL (the OTel logging bridge maps it so)
    "crit": 21,
    "fatal": 21,
    "dpanic": 21,  # zap: panics in development, logs in production
    "alert": 22,
    "panic": 23,  # logrus, zerolog, zap: above fatal
    "emerg": 24,
    "emergency": 24,
}
_NAMED = re.compile(r"([A-Za-z]+)\s*(?:([+-])\s*(\d{1,2}))?")


def range_name(number: int) -> str:
    """Return TRACE ... FATAL for a severity number 1-24."""
    return RANGES[(number - 1) // 4]


def _clamp(n: int) -> int:
    return min(max(n, 1), 24)


def from_number(value: int | float, scale: Scale) -> int:
    """Return the severity number of a numeric level on a scale, 0 if the scale gives numbers no meaning."""
    if scale is Scale.PINO:  # steps of 10 from trace (10); between steps, the lower one's range
        return _clamp(1 + int((value - 10) // 10) * 4)
    if scale is Scale.PYTHON:  # steps of 10 from DEBUG (10)
        return _clamp(5 + int((value - 10) // 10) * 4)
    return 0


# Levels repeat on every line: remember each (value, type, scale) read, bounded.
_READ: dict[tuple[object, type, Scale], tuple[int, str]] = {}


def severity(value: object, scale: Scale) -> tuple[int, str]:
    """Return (severity number, range name) of a level field's value; (0, '') when it reads as none."""
    key = (value, type(value), scale)
    try:
        found = _READ.get(key)
    except TypeError:  # an unhashable level (a list): read it, do not remember it
        return _severity(value, scale)
    if found is None:
        found = _severity(value, scale)
        if len(_READ) >= 1024:
            _READ.clear()
        _READ[key] = found
    return found


def _severity(value: object, scale: Scale) -> tuple[int, str]:
    t = type(value)
    if t is str:
        text = value.strip()  # type: ignore[attr-defined]
        number = NAMES.get(text.lower(), 0)
        if not number:
            m = _NAMED.fullmatch(text)
            if m and (base := NAMES.get(m.group(1).lower())):
                step = int(m.group(3) or 0)
                number = _clamp(base + (step if m.group(2) == "+" else -step))
            elif scale is not Scale.NAMES and re.fullmatch(r"\d{1,3}", text):
                number = from_number(int(text), scale)
    elif (t is int or t is float) and value == value:  # not NaN
        number = from_number(value, scale) if -1000 < value < 1000 else 0  # type: ignore[arg-type,operator]
    else:
        number = 0
    return number, (range_name(number) if number else "")
