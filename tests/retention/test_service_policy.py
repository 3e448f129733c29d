"""A service kept hot fewer days than its signal: its rows are archived per service and deleted only once
the archive verifies, the signal's other rows stay hot, and every row stays hot or archived exactly once
(by content checksum) through late rows, a stop after verify, a corrupted archive and the signal's roll.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from otelhouse.config import ConfigError, RetentionSettings
from otelhouse.config.validate import service_policy_problems
from retention.archiver import SERVICE_BATCH
from retention.plan import ServiceRoll
from retention.policy import ServicePolicy, policies
from retention.restore import restore_logs
from storage.queries.archives import Sums, table_sums
from tests.conftest import make_settings
from tests.retention.data import day_sums, ingest
from tests.retention.test_crash import Killed, stop_at
from tests.retention.test_roll import active, assert_conserved

FIRST = date(2026, 2, 20)
DAYS = 19  # 20 Feb .. 10 Mar 2026
ROWS = 30  # per day: checkout, payments and search in turn
NOW = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)


def service_sums(store, service: str) -> dict[date, tuple[int, int]]:
    rows = store.call(
        lambda c: (
            c.query(
                f"SELECT toDate(Timestamp) AS d, count(), sum(cityHash64(*)) FROM {store.database}.otel_logs "
                "WHERE ServiceName = {s:String} GROUP BY d",
                parameters={"s": service},
            ).result_rows
        )
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def add(ingested: dict, store, day: date, n: int, seed: int) -> None:
    before = day_sums(store, "otel_logs", "Timestamp").get(day, (0, 0))
    ingest(store, "otel_logs", day, n, seed=seed)
    after = day_sums(store, "otel_logs", "Timestamp")[day]
    old = ingested["otel_logs"].get(day, (0, 0))
    ingested["otel_logs"][day] = (old[0] + after[0] - before[0], (old[1] + after[1] - before[1]) % 2**64)


def parts(roller, day: date) -> list[int]:
    return sorted(
        m.part for m in active(roller) if m.period_start == day and m.batch.startswith(SERVICE_BATCH + "search:")
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_service_kept_three_days_is_archived_and_deleted_while_the_rest_stays_fourteen(
    make_roller, clock, tmp_path: Path
) -> None:
    clock.now = NOW
    roller, store = make_roller(clock, service_hot_days="logs:search=3")
    ingest(store, "otel_logs", FIRST, ROWS * DAYS, days=DAYS)
    originals = service_sums(store, "search")
    ingested = {"otel_logs": day_sums(store, "otel_logs", "Timestamp")}

    planned = [a for a in roller.plan(["logs"]) if isinstance(a, ServiceRoll)]
    # search's days 25 Feb .. 7 Mar are closed for it; before 25 Feb the signal's roll takes whole days
    assert [a.period.start for a in planned] == [date(2026, 2, 25) + timedelta(days=n) for n in range(11)]
    roller.run_due(["logs"])
    assert_conserved(roller, store, ingested)
    hot = roller.archiver.partitions()["otel_logs"]
    assert hot == [date(2026, 2, 25) + timedelta(days=n) for n in range(14)]  # every day of the other services
    assert sorted(service_sums(store, "search")) == [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]
    assert all(parts(roller, date(2026, 2, 25) + timedelta(days=n)) == [0] for n in range(11))
    assert roller.plan(["logs"]) == []  # nothing left to do: a service roll does not repeat

    # late rows for 1 March: search's one goes to a new part, the others stay hot
    add(ingested, store, date(2026, 3, 1), 5, seed=500)
    roller.run_due(["logs"])
    assert_conserved(roller, store, ingested)
    assert parts(roller, date(2026, 3, 1)) == [0, 1]
    assert date(2026, 3, 1) not in service_sums(store, "search")

    # a stop after the archive verified, before the delete: the rerun deletes, archives nothing twice
    add(ingested, store, date(2026, 3, 2), 6, seed=600)
    roller.archiver.fault = stop_at("verified")
    with pytest.raises(Killed):
        roller.run_due(["logs"])
    roller.archiver.fault = lambda step: None
    roller.run_due(["logs"])
    assert_conserved(roller, store, ingested)
    assert parts(roller, date(2026, 3, 2)) == [0, 1]

    # restore --service search for 1-2 March equals the originals plus the late rows, by checksum
    restore_logs(store, roller.root, "UTC", date(2026, 3, 1), date(2026, 3, 2), service="search")
    want = Sums()
    for day in (date(2026, 3, 1), date(2026, 3, 2)):
        want = want.plus(Sums(*originals[day]))
    late = store.call(
        lambda c: c.query(
            f"SELECT count(), sum(cityHash64(*)) FROM {store.database}.otel_logs_restored "
            "WHERE Body LIKE '% seed 500 %' OR Body LIKE '% seed 600 %'"
        ).result_rows[0]
    )
    assert table_sums(store.client(), store.database, "otel_logs_restored") == want.plus(Sums(*late))
    assert late[0] == 3  # rows 2 and 5 of the six, row 2 of the five

    # two weeks on, the signal's roll archives the other services' rows and drops the partitions
    clock.now = NOW + timedelta(days=14)
    roller.run_due(["logs"])
    assert_conserved(roller, store, ingested)
    assert roller.archiver.partitions().get("otel_logs", []) == []


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_corrupted_service_archive_keeps_the_rows_hot(make_roller, clock) -> None:
    clock.now = NOW
    roller, store = make_roller(clock, service_hot_days="logs:search=3")
    ingest(store, "otel_logs", date(2026, 3, 5), ROWS)
    ingested = {"otel_logs": day_sums(store, "otel_logs", "Timestamp")}
    roller.archiver.fault = stop_at("verified")
    with pytest.raises(Killed):
        roller.run_due(["logs"])
    roller.archiver.fault = lambda step: None
    (made,) = [m for m in active(roller) if m.batch.startswith(SERVICE_BATCH)]
    Path(made.location).write_bytes(b"PAR1 not a parquet file")
    before = service_sums(store, "search")
    with pytest.raises(Exception, match="cannot read back"):
        roller.run_due(["logs"])
    assert service_sums(store, "search") == before  # nothing deleted: every row still hot
    assert day_sums(store, "otel_logs", "Timestamp") == ingested["otel_logs"]


def test_service_policies_are_checked(tmp_path: Path) -> None:
    def problems(value: str) -> list[str]:
        return service_policy_problems(RetentionSettings(service_hot_days=tuple(value.split(","))))

    settings = make_settings(tmp_path, "x", OTELHOUSE_RETENTION_SERVICE_HOT_DAYS="logs:search=3, traces:load-gen=2")
    assert settings.retention.service_hot_days == ("logs:search=3", "traces:load-gen=2")
    assert {s: p.services for s, p in policies(settings.retention).items()} == {
        "logs": (ServicePolicy("search", 3),),
        "traces": (ServicePolicy("load-gen", 2),),
        "metrics": (),
    }
    with pytest.raises(ConfigError, match="must be logs or traces"):
        make_settings(tmp_path, "x", OTELHOUSE_RETENTION_SERVICE_HOT_DAYS="metrics:search=3")
    assert "must be logs or traces" in problems("metrics:search=3")[0]
    assert "fewer than" in problems("logs:search=14")[0]
    assert "given twice" in problems("logs:a=2,logs:a=3")[0]
    assert "look like" in problems("search=3")[0]
