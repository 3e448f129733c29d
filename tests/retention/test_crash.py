"""A roll stopped at each step (after moving, after export, after verify, mid-drop, mid-compaction) and run
again: every row is hot or archived exactly once, by content checksum, and no archive is duplicated.

The stop is an exception that nothing in the roller catches, raised at the named step: what is left
on disk and in ClickHouse is what a kill at that point leaves, since every step before it is durable
(ClickHouse inserts and ALTERs are, archive files are synced and renamed, manifests are inserted).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from retention.archiver import ArchiveMismatch
from retention.periods import period_of
from storage.queries.archives import Sums
from tests.retention.data import day_sums, ingest
from tests.retention.test_roll import active, archived_sums

FIRST = date(2026, 1, 5)  # a Monday: three whole weeks to 25 January
DAYS = 21
# weekly rolls (7 partitions each, so a drop can stop half-way), then January compacted into a month
POLICY = {"logs_period": "weekly", "compact_monthly_after_days": 31}


class Killed(BaseException):
    """Stands for the process dying at a step."""


def stop_at(step: str, occurrence: int = 1):
    seen = {"n": 0}

    def fault(name: str) -> None:
        if name == step:
            seen["n"] += 1
            if seen["n"] == occurrence:
                raise Killed(step)

    return fault


def conserved(roller, store, ingested: dict[date, tuple[int, int]], stopped: bool = False) -> None:
    """Every ingested row is hot or archived; after a stop, rows being rolled may be in both places."""
    hot = day_sums(store, "otel_logs", "Timestamp")
    rolling = day_sums(store, "otel_logs_rolling", "Timestamp")
    archived = archived_sums(roller, store, "otel_logs")
    for day, want in ingested.items():
        h, r, a = Sums(*hot.get(day, (0, 0))), Sums(*rolling.get(day, (0, 0))), archived.get(day, Sums())
        allowed = [h.plus(r).plus(a)] + ([h.plus(r), h.plus(a)] if stopped else [])
        assert Sums(*want) in allowed, (day, h, r, a)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("step", "occurrence"),
    [
        ("moved", 1),
        ("exported", 1),
        ("verified", 1),
        ("dropped-one", 1),
        ("exported", 4),  # the monthly compaction's export (after three weekly rolls)
        ("compacted", 1),
        ("removed-one", 1),
    ],
)
def test_a_roll_killed_at_any_step_is_finished_by_the_next_run(
    make_roller, clock, tmp_path: Path, step: str, occurrence: int
) -> None:
    roller, store = make_roller(clock, fault=stop_at(step, occurrence), **POLICY)
    ingest(store, "otel_logs", FIRST, 40 * DAYS, days=DAYS)
    ingested = day_sums(store, "otel_logs", "Timestamp")
    with pytest.raises(Killed):
        roller.run_due(["logs"])
    conserved(roller, store, ingested, stopped=True)

    again, _ = make_roller(clock, **POLICY)
    again.run_due(["logs"])
    conserved(again, store, ingested)
    assert again.plan(["logs"]) == []
    assert [(m.kind, m.period_start, m.part) for m in active(again)] == [("monthly", date(2026, 1, 1), 0)]
    assert sorted(str(p) for p in (tmp_path / "archive").rglob("*.parquet")) == [m.location for m in active(again)]
    assert day_sums(store, "otel_logs", "Timestamp") == {}


def test_a_corrupted_archive_is_caught_before_its_rows_are_dropped(make_roller, clock, tmp_path: Path) -> None:
    roller, store = make_roller(clock, fault=stop_at("verified"), **POLICY)
    ingest(store, "otel_logs", FIRST, 40 * DAYS, days=DAYS)
    ingested = day_sums(store, "otel_logs", "Timestamp")
    with pytest.raises(Killed):
        roller.run_due(["logs"])
    (first,) = [m for m in roller.archiver.manifests() if m.status == "verified"]
    path = Path(first.location)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    again, _ = make_roller(clock, **POLICY)
    with pytest.raises(ArchiveMismatch, match="cannot read back"):
        again.archiver.finish_rolling(again.policies["logs"], "otel_logs")
    # nothing dropped: the week's rows wait in the rolling table, the archive is marked corrupt
    assert sum(r for r, _ in day_sums(store, "otel_logs_rolling", "Timestamp").values()) == first.rows
    assert {m.id: m.status for m in again.archiver.manifests()}[first.id] == "corrupt"
    conserved(again, store, ingested, stopped=True)
    # the next run archives the still-held rows afresh (another part), verifies, and only then drops them
    again.run_due(["logs"])
    conserved(again, store, ingested)
    assert day_sums(store, "otel_logs_rolling", "Timestamp") == {}
    assert [(m.period_start, m.part) for m in active(again)] == [(date(2026, 1, 1), 0)]


@pytest.mark.slow
def test_a_missing_source_stops_compaction_and_archives_verify_reports_it(make_roller, clock) -> None:
    from retention.verify import verify_archives

    roller, store = make_roller(clock, compact_monthly_after_days=0, **{"logs_period": "weekly"})
    ingest(store, "otel_logs", FIRST, 40 * DAYS, days=DAYS)
    ingested = day_sums(store, "otel_logs", "Timestamp")
    roller.run_due(["logs"])
    weeks = active(roller)
    assert [m.kind for m in weeks] == ["weekly"] * 3
    Path(weeks[1].location).unlink()
    # a flipped byte in another: same size, different content
    data = bytearray(Path(weeks[2].location).read_bytes())
    data[len(data) // 2] ^= 0xFF
    Path(weeks[2].location).write_bytes(bytes(data))

    problems = verify_archives(roller.archiver, clock(), everything=True)
    assert {m.id: p for m, p in problems}.keys() == {weeks[1].id, weeks[2].id}
    assert dict((m.id, p) for m, p in problems)[weeks[1].id] == "missing"
    statuses = {m.id: m.status for m in roller.archiver.manifests()}
    assert (statuses[weeks[0].id], statuses[weeks[1].id], statuses[weeks[2].id]) == ("verified", "missing", "corrupt")
    conserved(roller, store, {d: s for d, s in ingested.items() if d < date(2026, 1, 12)})

    # a compaction whose source is bad removes nothing
    monthly, _ = make_roller(clock, **POLICY)
    with pytest.raises(ArchiveMismatch, match="not compacted"):
        monthly.archiver.compact("logs", "otel_logs", period_of(FIRST, "monthly"), tuple(m.id for m in weeks))
    assert Path(weeks[0].location).exists()
