"""Scheduled rolls over 60+ days of generated logs, traces and metrics with a controllable clock.

After the rolls, hot partitions, archive files and manifests are exactly what the policy says, and
for every day, rows hot + rows archived (read back from the files) = rows ingested, by content
checksum. Late rows for a day already rolled and compacted are archived as an extra part.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from retention.policy import SIGNAL_TABLES, TIME_COLUMN
from retention.roller import Roller
from storage import Store
from storage.queries.archives import Sums, archive_partition_sums
from storage.queries.manifests import Manifest
from storage.queries.rollups import rollup_series
from tests.retention.data import TABLES, day_sums, ingest

FIRST = date(2026, 1, 1)
DAYS = 69  # 1 Jan .. 10 Mar 2026
ROWS = 20


def active(roller: Roller) -> list[Manifest]:
    live = [m for m in roller.archiver.manifests() if m.status == "verified"]
    superseded = {s for m in live for s in m.sources}
    return [m for m in live if m.id not in superseded]


def archived_sums(roller: Roller, store: Store, table: str) -> dict[date, Sums]:
    locations = [roller.root.location(m.location) for m in active(roller) if m.table == table]
    if not locations:
        return {}
    return store.call(lambda c: archive_partition_sums(c, locations, TIME_COLUMN[table]))


def assert_conserved(roller: Roller, store: Store, ingested: dict[str, dict[date, tuple[int, int]]]) -> None:
    for table, per_day in ingested.items():
        hot = day_sums(store, table, TIME_COLUMN[table])
        archived = archived_sums(roller, store, table)
        for day, want in per_day.items():
            got = Sums(*hot.get(day, (0, 0))).plus(archived.get(day, Sums()))
            assert got == Sums(*want), (table, day, hot.get(day), archived.get(day))


def summary(roller: Roller, table: str) -> list[tuple[str, str, int]]:
    return sorted((m.kind, m.period_start.isoformat(), m.part) for m in active(roller) if m.table == table)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_scheduled_rolls_over_69_days_match_the_policy(make_roller, clock, tmp_path: Path) -> None:
    # traces and metrics rolled weekly (default daily) to cover that period kind and keep the test shorter
    roller, store = make_roller(clock, traces_period="weekly", metrics_period="weekly")
    ingested: dict[str, dict[date, tuple[int, int]]] = {}
    for table in TABLES:
        ingest(store, table, FIRST, ROWS * DAYS, days=DAYS)
        ingested[table] = day_sums(store, table, TIME_COLUMN[table])
    assert all(len(days) == DAYS and {r for r, _ in days.values()} == {ROWS} for days in ingested.values())

    # the scheduler fires daily; it was down from 20 Feb, and catches up on 10 Mar
    for day in (date(2026, 2, 1), date(2026, 2, 2), date(2026, 3, 10)):
        clock.now = datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=10)
        roller.run_due()
    assert_conserved(roller, store, ingested)

    def hot_days(table: str) -> list[date]:
        return roller.archiver.partitions().get(table, [])

    def span(first: date, last: date) -> list[date]:
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    # logs: 14 days hot; January compacted into a month (31 days after its end); February into weeks
    assert hot_days("otel_logs") == span(date(2026, 2, 25), date(2026, 3, 10))
    assert summary(roller, "otel_logs") == [
        ("daily", "2026-02-23", 0),
        ("daily", "2026-02-24", 0),
        ("monthly", "2026-01-01", 0),
        ("weekly", "2026-02-01", 0),
        ("weekly", "2026-02-02", 0),
        ("weekly", "2026-02-09", 0),
        ("weekly", "2026-02-16", 0),
    ]
    # traces: 7 days hot, rolled by whole weeks: the week of 2 March is not over
    assert hot_days("otel_traces") == span(date(2026, 3, 2), date(2026, 3, 10))
    assert ("weekly", "2026-02-23", 0) in summary(roller, "otel_traces")
    assert ("monthly", "2026-01-01", 0) in summary(roller, "otel_traces")
    # metrics: 30 days hot at full resolution (from 9 Feb), rolled by weeks: the week of 9 Feb stays
    for table, _ in SIGNAL_TABLES["metrics"]:
        if table in ingested:
            assert hot_days(table) == span(date(2026, 2, 9), date(2026, 3, 10)), table
    # nothing waits in a rolling table, every archive file on disk has a manifest and vice versa
    for table in TABLES:
        assert hot_days(table + "_rolling") == []
    files = sorted(str(p) for p in (tmp_path / "archive").rglob("*.parquet"))
    assert files == sorted(m.location for m in active(roller))

    # rollups of the rolled raw points: every rolled gauge point counted once, by hour and by day
    rolled = sum(rows for day, (rows, _) in ingested["otel_metrics_gauge"].items() if day < date(2026, 2, 9))
    hourly = rollup_series(
        store.client(), store.database, "hourly", "queue.depth", "", datetime(2026, 1, 1), datetime(2026, 2, 9)
    )
    daily = rollup_series(
        store.client(), store.database, "daily", "queue.depth", "", datetime(2026, 1, 1), datetime(2026, 2, 9)
    )
    assert sum(p.count for p in hourly) == rolled == sum(p.count for p in daily)
    assert len(daily) == 39 and max(p.max for p in daily) == 16 and min(p.min for p in daily) == 0

    # late rows for 15 January (long since compacted into January's archive) are kept and archived
    ingest(store, "otel_logs", date(2026, 1, 15), 7, seed=1000)
    late = day_sums(store, "otel_logs", "Timestamp")[date(2026, 1, 15)]
    before = ingested["otel_logs"][date(2026, 1, 15)]
    ingested["otel_logs"][date(2026, 1, 15)] = (before[0] + late[0], (before[1] + late[1]) % 2**64)
    clock.now += timedelta(hours=1)
    roller.run_due()
    assert_conserved(roller, store, ingested)
    assert date(2026, 1, 15) not in hot_days("otel_logs")
    assert ("monthly", "2026-01-01", 1) in summary(roller, "otel_logs")
