"""Read a log line's timestamp, in every form the common loggers write, as ns since the epoch.

- RFC 3339 / ISO 8601: any fraction (`.` or `,`, up to 9 digits kept), offset `Z`, `+hh:mm`, `+hhmm`,
  `+hh` or none (read as UTC), `T` or a space between date and time (logrus, zerolog, slog,
  structlog, bunyan, winston, logstash, ECS, Docker; Python's asctime `2024-05-01 10:00:00,123`;
  zap's ISO8601 `2024-05-01T10:00:00.123Z0000`).
- Go's `time.Time.String()` layout, which logrus writes for a time.Time it cannot format otherwise:
  `2024-05-01 10:00:00.123456789 +0000 UTC` with an optional monotonic `m=+0.001` suffix.
- Epoch numbers or digit strings; the unit follows the magnitude (seconds before 10^11, then
  milliseconds, microseconds, nanoseconds), fractions kept exactly as written (zap's `ts`).
- log4j2 JsonLayout's `{"epochSecond": s, "nanoOfSecond": n}`.
"""

from __future__ import annotations

import re

_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?"
    r" ?(?:[Zz]|([+-])(\d\d)(?::?(\d\d))?)?"
    r"(?: [A-Za-z+-][A-Za-z0-9+-]{0,5})?(?: m=[+-]\d+\.\d+)?"
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NS = 10**9
# Seconds of a date-and-minute prefix ("2024-05-01T10:00"): lines of one request share a few, and
# the calendar arithmetic is most of the parse.
_MINUTES: dict[str, int] = {}


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_DIGITS = frozenset("0123456789")


def _minute_base(text: str) -> int | None:
    """Seconds since the epoch of the 'YYYY-MM-DDTHH:MM' prefix (remembered), None if it is no date."""
    prefix = text[:16]
    base = _MINUTES.get(prefix)
    if base is None:
        if not all(c in _DIGITS for c in prefix[:4] + prefix[5:7] + prefix[8:10] + prefix[11:13] + prefix[14:16]):
            return None
        month, day, hour, minute = int(prefix[5:7]), int(prefix[8:10]), int(prefix[11:13]), int(prefix[14:16])
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59):
            return None
        base = (_days_from_civil(int(prefix[:4]), month, day) * 1440 + hour * 60 + minute) * 60
        if len(_MINUTES) > 4096:
            _MINUTES.clear()
        _MINUTES[prefix] = base
    return base


# Seconds of a 'YYYY-MM-DDTHH:MM:SS' head (None: not one): the lines of a request share a few.
_SECONDS: dict[str, int | None] = {}


def _head_seconds(head: str) -> int | None:
    """Seconds since the epoch of a 'YYYY-MM-DDTHH:MM:SS' head (`T`, `t` or a space), None if it is not one."""
    if len(head) < 19 or head[13] != ":" or head[16] != ":" or head[10] not in "Tt " or head[7] != "-":
        return None
    second = head[17:19]
    if second[0] not in _DIGITS or second[1] not in _DIGITS or second > "60":
        return None
    base = _minute_base(head)
    return None if base is None else base + int(second)


def _fast_iso(text: str) -> int | None:
    """RFC 3339 as loggers write it (`2024-05-01T10:00:00.123+02:00`) by slicing; None to take the full regex."""
    head = text[:19]
    try:
        seconds = _SECONDS[head]
    except KeyError:
        seconds = _SECONDS[head] = _head_seconds(head)
        if len(_SECONDS) > 4096:
            _SECONDS.clear()
    if seconds is None:
        return None
    layout = _LAYOUTS.get(len(text))
    if layout is not None:  # the layout of the last timestamp of this length: '.', digits, the same zone
        end, zone, offset = layout
        digits = text[20:end]
        if text[19] in ".," and digits.isdecimal() and text.endswith(zone):
            # what the regex below reads too: \d+ stops at the zone, which opens with no digit
            digits = digits[:9]
            return (seconds - offset) * _NS + int(digits) * _FRACTION_SCALE[len(digits)]
    frac = _FRACTION.match(text, 19)
    if frac is None:
        end, ns = 19, 0
    else:
        end, digits = frac.end(), frac.group(1)[:9]
        ns = int(digits) * _FRACTION_SCALE[len(digits)]
    zone = text[end:]
    offset = _zone_offset(zone)
    if offset is None:
        return None
    if end > 20:
        if len(_LAYOUTS) >= 64:
            _LAYOUTS.clear()
        _LAYOUTS[len(text)] = (end, zone, offset)
    return (seconds - offset) * _NS + ns


_FRACTION = re.compile(r"[.,](\d+)")
# By a timestamp's length, where the fraction of the last one read ends and its zone (text, seconds
# east): a logger writes one layout, so the next line's fraction and zone are read without the regex.
_LAYOUTS: dict[int, tuple[int, str, int]] = {}
_FRACTION_SCALE = tuple(10 ** (9 - n) for n in range(10))  # ns per unit of a fraction of n digits
_ZONE = re.compile(r"(?:[Zz]|([+-])(\d\d):?(\d\d)?)?")
# Seconds east of UTC of a zone suffix ('Z', '+02:00', '-0700', ''): a request holds one or two.
_ZONES: dict[str, int] = {}


def _zone_offset(zone: str) -> int | None:
    """Seconds east of UTC of what follows the seconds and fraction, None if it is not a zone (remembered)."""
    offset = _ZONES.get(zone)
    if offset is None:
        m = _ZONE.fullmatch(zone)
        if m is None:
            return None
        sign, oh, om = m.groups()
        offset = (int(oh) * 3600 + int(om or 0) * 60) * (-1 if sign == "-" else 1) if sign else 0
        if len(_ZONES) > 256:
            _ZONES.clear()
        _ZONES[zone] = offset
    return offset


def parse_iso(text: str) -> int | None:
    """Return ns since the epoch of an RFC 3339-like timestamp, or None if it is not one."""
    fast = _fast_iso(text)
    if fast is not None:
        return fast
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    _, _, _, _, _, ss, frac, sign, oh, om = m.groups()
    base = _minute_base(text)
    if base is None:
        return None
    second = int(ss)
    if second > 60:  # 60: a leap second, as RFC 3339 allows
        return None
    seconds = base + second
    if sign:
        offset = int(oh) * 3600 + int(om or 0) * 60
        seconds += -offset if sign == "+" else offset
    ns = seconds * _NS
    if frac:
        ns += int(frac[:9].ljust(9, "0"))
    return ns


def epoch_ns(value: int | float | str) -> int | None:
    """Return ns since the epoch of an epoch number (unit by magnitude), or None if out of range."""
    if type(value) is int:
        whole, frac = abs(value), ""
        negative = value < 0
    else:
        # the text as written (repr of a float round-trips to the digits the logger wrote)
        text = value if type(value) is str else repr(value)
        if not _NUMBER.fullmatch(text):
            return None
        if "e" in text or "E" in text:
            text = format(float(text), "f")
        negative = text.startswith("-")
        whole_text, _, frac = text.lstrip("-").partition(".")
        whole = int(whole_text)
    if negative:
        return None
    for limit, scale in ((10**11, 10**9), (10**14, 10**6), (10**17, 10**3), (10**20, 1)):
        if whole < limit:
            digits = len(str(scale)) - 1
            return whole * scale + (int(frac[:digits].ljust(digits, "0")) if digits and frac else 0)
    return None


def parse_timestamp(value: object) -> int | None:
    """Return ns since the epoch of a timestamp field's value, or None if it cannot be read."""
    t = type(value)
    if t is str:
        if value[4:5] == "-":  # type: ignore[index]
            # RFC 3339 as written, read without the checks below; a space around it makes this None
            fast = _fast_iso(value)  # type: ignore[arg-type]
            if fast is not None:
                return fast
        text = value.strip()  # type: ignore[attr-defined]
        if text[:4].isdigit() and text[4:5] == "-":
            return parse_iso(text)
        return epoch_ns(text) if text else None
    if t is int or t is float:
        if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
            return None
        return epoch_ns(value)  # type: ignore[arg-type]
    if t is dict:
        seconds, nanos = value.get("epochSecond"), value.get("nanoOfSecond", 0)  # type: ignore[attr-defined]
        if type(seconds) is int and type(nanos) is int and seconds >= 0 and 0 <= nanos < _NS:
            return seconds * _NS + nanos
    return None
