"""Periods and cut-offs are pure date arithmetic in a timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from retention.periods import Period, hot_cutoff, local_days_of, period_of


def test_weeks_start_on_monday_and_are_cut_at_month_ends() -> None:
    # 2026-01-28 is a Wednesday; its week runs Monday 26th to Sunday 1 Feb, cut at the month end
    assert period_of(date(2026, 1, 28), "weekly") == Period(date(2026, 1, 26), date(2026, 2, 1), "weekly")
    assert period_of(date(2026, 2, 1), "weekly") == Period(date(2026, 2, 1), date(2026, 2, 2), "weekly")
    assert period_of(date(2026, 2, 4), "weekly") == Period(date(2026, 2, 2), date(2026, 2, 9), "weekly")
    assert period_of(date(2026, 12, 31), "monthly") == Period(date(2026, 12, 1), date(2027, 1, 1), "monthly")
    assert period_of(date(2026, 2, 4), "daily") == Period(date(2026, 2, 4), date(2026, 2, 5), "daily")


def test_every_day_lies_in_one_week_inside_one_month() -> None:
    day = date(2026, 1, 1)
    while day < date(2027, 1, 1):
        week, month = period_of(day, "weekly"), period_of(day, "monthly")
        assert week.start <= day < week.end and month.contains(week) and week.contains(period_of(day, "daily"))
        day = period_of(day, "daily").end


def test_hot_cutoff_keeps_today_and_the_days_before() -> None:
    now = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
    assert hot_cutoff(now, "UTC", 14) == date(2026, 2, 25)
    assert hot_cutoff(now, "UTC", 1) == date(2026, 3, 10)
    # 00:30 UTC is still 9 March in New York
    assert hot_cutoff(now, "America/New_York", 1) == date(2026, 3, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        hot_cutoff(datetime(2026, 3, 10), "UTC", 1)


def test_local_periods_map_to_utc_partitions() -> None:
    berlin_day = period_of(date(2026, 1, 10), "daily")
    assert local_days_of(date(2026, 1, 10), "Europe/Berlin") == [date(2026, 1, 10), date(2026, 1, 11)]
    assert local_days_of(date(2026, 1, 10), "UTC") == [date(2026, 1, 10)]
    start, end = berlin_day.bounds_ns("Europe/Berlin")
    assert end - start == 86_400 * 10**9
    # the day clocks go forward has 23 hours
    spring = period_of(date(2026, 3, 29), "daily").bounds_ns("Europe/Berlin")
    assert spring[1] - spring[0] == 23 * 3600 * 10**9
