"""Restore round trip: restored rows equal the originals by content checksum, and the table the log
explorer reads (otel_logs_all: hot, rolling and restored logs) finds restored lines, through the log
explorer's own search."""

from __future__ import annotations

from datetime import UTC, date, datetime

from retention.restore import drop_restored, restore_logs
from storage.queries.archives import table_sums
from storage.queries.common import Window
from storage.queries.logs import LogQuery, log_services, search_logs
from tests.retention.data import ingest

FIRST = date(2026, 1, 5)


def originals(store, where: str) -> tuple[int, int]:
    row = store.call(
        lambda c: c.query(f"SELECT count(), sum(cityHash64(*)) FROM {store.database}.otel_logs WHERE {where}")
    ).result_rows[0]
    return int(row[0]), int(row[1])


def search(store, table: str, text: str) -> int:
    return store.call(
        lambda c: c.query(
            f"SELECT count() FROM {store.database}.{table} WHERE hasToken(lower(Body), {{t:String}})",
            parameters={"t": text},
        )
    ).result_rows[0][0]


def test_restored_logs_equal_the_originals_and_are_searchable(make_roller, clock) -> None:
    roller, store = make_roller(clock, logs_period="weekly")
    ingest(store, "otel_logs", FIRST, 30 * 21, days=21)
    span = "Timestamp >= '2026-01-10' AND Timestamp < '2026-01-13'"
    want_all = originals(store, span)
    want_service = originals(store, f"{span} AND ServiceName = 'payments'")
    (line,) = store.call(
        lambda c: c.query(
            f"SELECT Body FROM {store.database}.otel_logs WHERE {span} ORDER BY Timestamp LIMIT 1 OFFSET 7"
        )
    ).result_rows[0]
    roller.run_due(["logs"])
    assert search(store, "otel_logs", "request") == 0  # all rolled away (past 14 days)
    assert {m.kind for m in roller.archiver.manifests() if m.status == "verified"} == {"monthly"}

    progress: list[tuple[int, int, str]] = []
    report = restore_logs(
        store, roller.root, "UTC", date(2026, 1, 10), date(2026, 1, 12), "payments", lambda *a: progress.append(a)
    )
    assert report.archives == 1 and progress[-1][:2] == (1, 1)
    assert tuple(table_sums(store.client(), store.database, "otel_logs_restored")) == want_service
    # a second restore of the same range adds nothing; widening to every service adds the rest
    restore_logs(store, roller.root, "UTC", date(2026, 1, 10), date(2026, 1, 12), "payments")
    assert tuple(table_sums(store.client(), store.database, "otel_logs_restored")) == want_service
    drop_restored(store)
    restore_logs(store, roller.root, "UTC", date(2026, 1, 10), date(2026, 1, 12))
    assert tuple(table_sums(store.client(), store.database, "otel_logs_restored")) == want_all
    # what the log explorer searches: hot and restored logs together
    assert search(store, "otel_logs_all", "request") == want_all[0]
    found = store.call(
        lambda c: c.query(
            f"SELECT count() FROM {store.database}.otel_logs_all WHERE Body = {{b:String}}", parameters={"b": line}
        )
    ).result_rows[0][0]
    assert found == 1
    # the log explorer's own search finds the restored line by its text, and lists its service
    window = Window(
        int(datetime(2026, 1, 10, tzinfo=UTC).timestamp()) * 10**9,
        int(datetime(2026, 1, 13, tzinfo=UTC).timestamp()) * 10**9,
    )
    hits = search_logs(store.client(), store.database, window, LogQuery(text=line), 10)
    assert [h["body"] for h in hits] == [line]
    assert "payments" in log_services(store.client(), store.database, window)
    assert drop_restored(store).rows == want_all[0]
    assert search(store, "otel_logs_all", "request") == 0
