"""What is due is a pure function of the policy, the partitions, the archives and `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from retention.periods import period_of
from retention.plan import Cleanup, Compact, Expire, Resume, Roll, ServiceRoll, due
from retention.policy import Policy, ServicePolicy
from storage.queries.manifests import Manifest

POLICY = Policy("logs", "daily", 14, 396, 7, 31, "UTC")
NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)


def days(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def manifest(kind: str, start: date, part: int = 0, status: str = "verified", sources: tuple = ()) -> Manifest:
    period = period_of(start, kind)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return Manifest(
        id=f"otel_logs/{kind}/{start}/{part:04d}",
        signal="logs",
        table="otel_logs",
        kind=kind,
        period_start=period.start,
        period_end=period.end,
        part=part,
        location=f"/a/{kind}/{start}/{part}",
        status=status,
        rows=1,
        content_hash=1,
        min_time=when,
        max_time=when,
        file_bytes=1,
        file_sha256="",
        schema_version="",
        sources=sources,
    )


def test_after_downtime_every_closed_period_past_the_hot_window_is_rolled_oldest_first() -> None:
    hot = {"otel_logs": days(date(2026, 2, 20), 19)}  # 20 Feb .. 10 Mar
    actions = due(POLICY, NOW, hot, {}, [])
    rolls = [a for a in actions if isinstance(a, Roll)]
    # 14 days hot with today included: 25 Feb .. 10 Mar stay
    assert [r.period.start for r in rolls] == days(date(2026, 2, 20), 5)
    assert all(r.partitions == {"otel_logs": (r.period.start,)} for r in rolls)
    assert actions == rolls


def test_unfinished_work_comes_first() -> None:
    compacted = manifest("weekly", date(2026, 1, 5), sources=("otel_logs/daily/2026-01-05/0000",))
    source = manifest("daily", date(2026, 1, 5))
    actions = due(
        POLICY, NOW, {"otel_logs": [date(2026, 2, 1)]}, {"otel_logs": [date(2026, 1, 31)]}, [compacted, source]
    )
    assert isinstance(actions[0], Resume) and actions[0].table == "otel_logs"
    assert actions[1] == Cleanup("logs", "otel_logs", source.id)
    assert isinstance(actions[2], Roll)


def test_daily_archives_are_compacted_into_weeks_and_weeks_into_months() -> None:
    dailies = [manifest("daily", d) for d in days(date(2026, 1, 26), 14)]  # 26 Jan .. 8 Feb
    actions = due(POLICY, NOW, {}, {}, dailies)
    weeks = [(a.target.start, len(a.sources)) for a in actions if isinstance(a, Compact) and a.target.kind == "weekly"]
    # the week of 26 Jan is cut at the month end: 26-31 Jan, then 1 Feb alone, then 2-8 Feb
    assert weeks == [(date(2026, 1, 26), 6), (date(2026, 2, 1), 1), (date(2026, 2, 2), 7)]
    months = [a for a in actions if isinstance(a, Compact) and a.target.kind == "monthly"]
    # January ended 38 days ago (> 31): due; February has not ended
    assert [(m.target.start, len(m.sources)) for m in months] == [(date(2026, 1, 1), 6)]


def test_a_month_is_compacted_only_after_its_wait_and_once_it_left_hot_storage() -> None:
    jan = [manifest("weekly", date(2026, 1, 26))]
    early = datetime(2026, 2, 20, tzinfo=UTC)
    assert not [a for a in due(POLICY, early, {}, {}, jan) if isinstance(a, Compact)]
    assert [a.target.kind for a in due(POLICY, NOW, {}, {}, jan) if isinstance(a, Compact)] == ["monthly"]


def test_superseded_archives_are_not_compacted_again_and_old_ones_expire() -> None:
    old = manifest("monthly", date(2025, 1, 1))
    source = manifest("daily", date(2026, 1, 5))
    week = manifest("weekly", date(2026, 1, 5), sources=(source.id,))
    actions = due(POLICY, NOW, {}, {}, [old, source, week])
    assert Expire("logs", "otel_logs", old.id) in actions
    assert not any(isinstance(a, Compact) and source.id in a.sources for a in actions)
    assert not any(isinstance(a, Expire) and a.manifest_id == week.id for a in actions)


def test_late_rows_for_a_rolled_day_are_rolled_again_as_another_part() -> None:
    rolled = manifest("daily", date(2026, 2, 1))
    actions = due(POLICY, NOW, {"otel_logs": [date(2026, 2, 1)]}, {}, [rolled])
    assert any(isinstance(a, Roll) and a.period.start == date(2026, 2, 1) for a in actions)


def test_a_weekly_policy_rolls_whole_weeks_in_a_timezone() -> None:
    policy = Policy("logs", "weekly", 7, 0, 7, 0, "Europe/Berlin")
    # Berlin is UTC+1: UTC partition 28 Feb ends in Berlin's 1 Mar, a Sunday that is a week of its own
    # (weeks are cut at month ends); both weeks are past the 7 hot days
    hot = {"otel_logs": days(date(2026, 2, 23), 7)}
    rolls = [a for a in due(policy, NOW, hot, {}, []) if isinstance(a, Roll)]
    assert [(r.period.start, r.period.end) for r in rolls] == [
        (date(2026, 2, 23), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 2)),
    ]
    assert rolls[0].partitions["otel_logs"] == tuple(days(date(2026, 2, 23), 6))
    assert rolls[1].partitions["otel_logs"] == (date(2026, 2, 28), date(2026, 3, 1))
    assert not [a for a in due(policy, NOW, {}, {}, [manifest("daily", date(2025, 1, 1))]) if isinstance(a, Expire)]


def test_a_service_kept_shorter_is_rolled_alone_until_its_days_close_for_the_signal() -> None:
    policy = replace(POLICY, services=(ServicePolicy("loadgen", 3), ServicePolicy("idle", 5)))
    hot = {"otel_logs": days(date(2026, 2, 20), 19)}
    # loadgen has rows on every day; "idle" has none: nothing is due for it
    service_hot = {"loadgen": {"otel_logs": days(date(2026, 2, 20), 19)}}
    actions = due(policy, NOW, hot, {}, [], service_hot)
    service_rolls = [a for a in actions if isinstance(a, ServiceRoll)]
    # days before 25 Feb go with the signal's roll; 25 Feb .. 7 Mar close for loadgen (3 days: 8-10 Mar hot)
    assert [a.period.start for a in service_rolls] == days(date(2026, 2, 25), 11)
    assert {(a.service, a.tables) for a in service_rolls} == {("loadgen", ("otel_logs",))}
    assert [a.period.start for a in actions if isinstance(a, Roll)] == days(date(2026, 2, 20), 5)
    # once its rows of those days are gone, nothing more is due for the service
    after = {"loadgen": {"otel_logs": days(date(2026, 3, 8), 3)}}
    assert not [a for a in due(policy, NOW, hot, {}, [], after) if isinstance(a, ServiceRoll)]
