"""Calendar periods cut in a timezone: pure date arithmetic, no clock, no I/O.

Periods nest strictly: a day lies in one week and one month. A week starts on Monday but is cut at
month boundaries (a week that spans two months is two weekly periods), so monthly compaction never
has to split a weekly archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

KINDS = ("daily", "weekly", "monthly")
RANK = {kind: n for n, kind in enumerate(KINDS)}


@dataclass(frozen=True, order=True)
class Period:
    """Local calendar days [start, end) of one daily, weekly or monthly period."""

    start: date
    end: date
    kind: str

    def __str__(self) -> str:
        return f"{self.kind} {self.start.isoformat()}"

    def contains(self, other: Period) -> bool:
        """Say whether `other` lies wholly inside this period."""
        return self.start <= other.start and other.end <= self.end

    def bounds_ns(self, tz: str) -> tuple[int, int]:
        """Return [start, end) as nanoseconds since the epoch, cut at local midnight in `tz`."""
        return local_midnight_ns(self.start, tz), local_midnight_ns(self.end, tz)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_of(day: date, kind: str) -> Period:
    """Return the period of `kind` that holds local day `day`."""
    if kind == "daily":
        return Period(day, day + timedelta(days=1), kind)
    month_start, month_end = _month_start(day), _next_month(day)
    if kind == "monthly":
        return Period(month_start, month_end, kind)
    if kind == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period(max(monday, month_start), min(monday + timedelta(days=7), month_end), kind)
    raise ValueError(f"unknown period kind {kind!r}; expected one of {', '.join(KINDS)}")


def local_midnight_ns(day: date, tz: str) -> int:
    """Return local midnight of `day` in `tz` as nanoseconds since the epoch."""
    moment = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz))
    return int(moment.timestamp()) * 10**9


def local_today(now: datetime, tz: str) -> date:
    """Return the calendar day `now` (timezone-aware) falls on in `tz`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(tz)).date()


def hot_cutoff(now: datetime, tz: str, hot_days: int) -> date:
    """Return the first local day still hot: today and the `hot_days - 1` days before it stay."""
    return local_today(now, tz) - timedelta(days=hot_days - 1)


def local_days_of(utc_day: date, tz: str) -> list[date]:
    """Return the local days that rows of one UTC day partition can fall on."""
    zone = ZoneInfo(tz)
    start = datetime(utc_day.year, utc_day.month, utc_day.day, tzinfo=ZoneInfo("UTC"))
    first = start.astimezone(zone).date()
    last = (start + timedelta(days=1) - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
