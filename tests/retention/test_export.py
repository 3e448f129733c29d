"""The roll's export: one read of the hot rows writes the Parquet file and sums exactly the rows written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from retention.archiver import local_file_facts
from storage.queries.archives import (
    EXPORT_TABLES,
    Location,
    archive_partition_sums,
    export_rows_summed,
    file_facts,
    table_partition_rows,
    table_partition_sums,
)
from tests.retention.data import ingest

DAY = date(2026, 1, 5)


def _ns(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 10**9


def test_the_export_sums_the_rows_it_writes_and_leaves_no_helper_tables(make_roller, clock, tmp_path: Path) -> None:
    _, store = make_roller(clock)
    db = store.database
    ingest(store, "otel_logs", DAY, 3000, days=3)
    # a killed run's helper table is cleared by the next export
    store.call(lambda c: c.command(f"CREATE TABLE {db}.{EXPORT_TABLES}killed_rows AS {db}.otel_logs ENGINE = Null"))

    whole = Location(str(tmp_path / "whole.parquet"))
    sums = store.call(lambda c: export_rows_summed(c, whole, db, "otel_logs", "Timestamp", None, "a1"))
    assert sums == store.call(lambda c: table_partition_sums(c, db, "otel_logs", "Timestamp"))
    assert store.call(lambda c: archive_partition_sums(c, [whole], "Timestamp")) == sums
    assert {d: s.rows for d, s in sums.items()} == store.call(
        lambda c: table_partition_rows(c, db, "otel_logs", "Timestamp")
    )

    # one day of the three, into a file left by an earlier attempt (replaced, not appended to)
    day2 = date(2026, 1, 6)
    start, end = _ns(day2), _ns(date(2026, 1, 7))
    one = Location(str(tmp_path / "one.parquet"))
    Path(one.url).write_bytes(b"a partial file of a killed run")
    sums = store.call(lambda c: export_rows_summed(c, one, db, "otel_logs", "Timestamp", (start, end), "a2"))
    assert list(sums) == [day2]
    assert sums == store.call(lambda c: table_partition_sums(c, db, "otel_logs", "Timestamp", start, end))
    assert store.call(lambda c: archive_partition_sums(c, [one], "Timestamp")) == sums

    left = store.call(
        lambda c: c.query(
            "SELECT count() FROM system.tables WHERE database = {db:String} AND startsWith(name, {p:String})",
            parameters={"db": db, "p": EXPORT_TABLES},
        ).result_rows[0][0]
    )
    assert left == 0


def test_a_local_archive_is_hashed_here_as_clickhouse_hashes_it(make_roller, clock, tmp_path: Path) -> None:
    """The roll streams a local file's SHA-256 in chunks; it must equal what ClickHouse computes for S3."""
    _, store = make_roller(clock)
    ingest(store, "otel_logs", DAY, 2000, days=1)
    archive = Location(str(tmp_path / "day.parquet"))
    store.call(lambda c: export_rows_summed(c, archive, store.database, "otel_logs", "Timestamp", None, "h1"))
    assert local_file_facts(Path(archive.url)) == store.call(lambda c: file_facts(c, archive))
    assert local_file_facts(Path(archive.url))[0] == Path(archive.url).stat().st_size > 0
