"""Archive SQL: move partitions aside, export them as Parquet (zstd), read archives back, drop, restore.

ClickHouse does all the work through its own `file()` and `s3()` table functions: it writes the
Parquet files, and computes the content checksum `sum(cityHash64(*))` on both sides, so a row
leaves hot storage only after the same rows have been read back from its archive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from clickhouse_connect.driver import Client

PARQUET_SETTINGS = {
    "output_format_parquet_compression_method": "zstd",
    # bloom filters serve selective reads; archives are read whole (verify, restore), and the filters
    # cost 17% of the file size and a third of the export time (bench/retention.py)
    "output_format_parquet_write_bloom_filter": 0,
    # zstd compresses each data page alone: 16 MiB pages (default 1 MiB) let it find the repeats that the
    # hot table's order (5 minutes, service, time) spreads apart, e.g. one trace id on lines of several
    # services: 0.89x -> 0.77x the hot size for 10M rows (docs/performance.md). Any Parquet reader reads them.
    "output_format_parquet_data_page_size": 16 << 20,
    # a rerun after a crash rewrites the same part's file instead of failing on it
    "engine_file_truncate_on_insert": 1,
    "s3_truncate_on_insert": 1,
}


class Sums(NamedTuple):
    """Rows and their content checksum; sums add up (mod 2**64) across partitions and parts."""

    rows: int = 0
    hash: int = 0

    def plus(self, other: Sums) -> Sums:
        """Return the checksum of both row sets together."""
        return Sums(self.rows + other.rows, (self.hash + other.hash) % 2**64)


def total(sums: Iterable[Sums]) -> Sums:
    """Add checksums up."""
    out = Sums()
    for s in sums:
        out = out.plus(s)
    return out


@dataclass(frozen=True)
class Location:
    """An archive file: an absolute local path, or an http(s) URL in an S3-compatible bucket."""

    url: str
    key_id: str = ""
    secret: str = ""

    @property
    def is_s3(self) -> bool:
        return self.url.startswith(("http://", "https://"))

    def function(self, fmt: str, n: int, params: dict) -> str:
        """Return the table function reading or writing this file; its arguments go into `params`."""
        params[f"loc{n}"] = self.url
        if not self.is_s3:
            return f"file({{loc{n}:String}}, {fmt})"
        params[f"key{n}"], params[f"secret{n}"] = self.key_id, self.secret
        return f"s3({{loc{n}:String}}, {{key{n}:String}}, {{secret{n}:String}}, {fmt})"


def _range(time_col: str, start_ns: int | None, end_ns: int | None, params: dict) -> str:
    if start_ns is None or end_ns is None:
        return "1"
    params["start_ns"], params["end_ns"] = start_ns, end_ns
    return (
        f"{time_col} >= fromUnixTimestamp64Nano({{start_ns:Int64}}) "
        f"AND {time_col} < fromUnixTimestamp64Nano({{end_ns:Int64}})"
    )


def _service(service: str, params: dict) -> str:
    if not service:
        return "1"
    params["service"] = service
    return "ServiceName = {service:String}"


def _where(time_col: str, start_ns: int | None, end_ns: int | None, service: str, params: dict) -> str:
    return f"{_range(time_col, start_ns, end_ns, params)} AND {_service(service, params)}"


def service_days(
    client: Client, database: str, table: str, time_col: str, services: Sequence[str], tz: str, before_ns: int
) -> dict[str, list[date]]:
    """Return, per service, the local days (in `tz`) before `before_ns` on which a table holds its rows."""
    rows = client.query(
        f"SELECT ServiceName, toDate({time_col}, {{tz:String}}) AS d FROM {database}.{table} "
        f"WHERE ServiceName IN {{services:Array(String)}} AND {time_col} < fromUnixTimestamp64Nano({{before:Int64}}) "
        "GROUP BY ServiceName, d ORDER BY ServiceName, d",
        parameters={"tz": tz, "services": list(services), "before": before_ns},
    ).result_rows
    out: dict[str, list[date]] = {}
    for service, day in rows:
        out.setdefault(service, []).append(day)
    return out


def day_partitions(client: Client, database: str, tables: Sequence[str]) -> dict[str, list[date]]:
    """Return, per table (all partitioned by day), the day partitions that hold rows, oldest first."""
    rows = client.query(
        "SELECT table, toDate(partition) AS d FROM system.parts "
        "WHERE database = {db:String} AND table IN {tables:Array(String)} AND active AND rows > 0 "
        "GROUP BY table, d ORDER BY table, d",
        parameters={"db": database, "tables": list(tables)},
    ).result_rows
    out: dict[str, list[date]] = {}
    for table, day in rows:
        out.setdefault(table, []).append(day)
    return out


def move_partition(client: Client, database: str, table: str, to_table: str, day: date) -> None:
    """Move one day partition's parts to another table of the same shape, atomically."""
    client.command(
        f"ALTER TABLE {database}.{table} MOVE PARTITION {{p:String}} TO TABLE {database}.{to_table}",
        parameters={"p": day.isoformat()},
    )


def drop_partition(client: Client, database: str, table: str, day: date) -> None:
    """Drop one day partition of a table."""
    client.command(f"ALTER TABLE {database}.{table} DROP PARTITION {{p:String}}", parameters={"p": day.isoformat()})


def local_days(client: Client, database: str, table: str, time_col: str, tz: str) -> list[date]:
    """Return the calendar days (in timezone `tz`) that a table's rows fall on."""
    rows = client.query(
        f"SELECT DISTINCT toDate({time_col}, {{tz:String}}) AS d FROM {database}.{table} ORDER BY d",
        parameters={"tz": tz},
    ).result_rows
    return [r[0] for r in rows]


def table_partition_sums(
    client: Client,
    database: str,
    table: str,
    time_col: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    service: str = "",
) -> dict[date, Sums]:
    """Return rows and content checksum per UTC day partition of a table, optionally in a range, of one service."""
    params: dict = {}
    where = _where(time_col, start_ns, end_ns, service, params)
    return _partition_sums(client, f"{database}.{table}", time_col, where, params)


def archive_partition_sums(
    client: Client,
    locations: Sequence[Location],
    time_col: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> dict[date, Sums]:
    """Read archives back: rows and content checksum per UTC day, optionally within a time range."""
    params: dict = {}
    where = _range(time_col, start_ns, end_ns, params)
    return _partition_sums(client, _union(locations, params), time_col, where, params)


def _union(locations: Sequence[Location], params: dict) -> str:
    parts = [f"SELECT * FROM {loc.function('Parquet', n, params)}" for n, loc in enumerate(locations)]
    return "(" + " UNION ALL ".join(parts) + ")"


def _partition_sums(client: Client, source: str, time_col: str, where: str, params: dict) -> dict[date, Sums]:
    # cityHash64(*) hashes every stored column; Parquet read back yields the same values, hence the same sum
    rows = client.query(
        f"SELECT toDate({time_col}) AS d, count(), sum(cityHash64(*)) FROM {source} WHERE {where} GROUP BY d",
        parameters=params,
    ).result_rows
    return {r[0]: Sums(int(r[1]), int(r[2])) for r in rows}


def time_bounds(
    client: Client, database: str, table: str, time_col: str, start_ns: int, end_ns: int, service: str = ""
) -> tuple[int, int]:
    """Return the first and last timestamp (ns) of a table's rows in a range (of one service, when given)."""
    params: dict = {}
    where = _where(time_col, start_ns, end_ns, service, params)
    row = client.query(
        f"SELECT toUnixTimestamp64Nano(min({time_col})), toUnixTimestamp64Nano(max({time_col})) "
        f"FROM {database}.{table} WHERE {where}",
        parameters=params,
    ).result_rows[0]
    return int(row[0]), int(row[1])


def export_rows(
    client: Client,
    database: str,
    table: str,
    time_col: str,
    start_ns: int | None,
    end_ns: int | None,
    target: Location,
    service: str = "",
) -> None:
    """Write a table's rows in [start, end) (of one service, when given) to a Parquet file, replacing a partial one.

    A roll to S3 and a service's roll run it; a local roll writes through export_rows_summed with the same
    settings. bench/retention.py and bench/run.py time it as the bare export.
    """
    params: dict = {}
    where = _where(time_col, start_ns, end_ns, service, params)
    client.command(
        f"INSERT INTO FUNCTION {target.function('Parquet', 0, params)} SELECT * FROM {database}.{table} WHERE {where}",
        parameters=params,
        settings=PARQUET_SETTINGS,
    )


EXPORT_TABLES = "archive_export_"  # prefix of the helper tables of export_rows_summed


def table_partition_rows(client: Client, database: str, table: str, time_col: str) -> dict[date, int]:
    """Return rows per UTC day partition of a table (reads only the time column)."""
    rows = client.query(f"SELECT toDate({time_col}) AS d, count() FROM {database}.{table} GROUP BY d").result_rows
    return {r[0]: int(r[1]) for r in rows}


def export_rows_summed(
    client: Client, target: Location, database: str, table: str, time_col: str, within: tuple[int, int] | None, run: str
) -> dict[date, Sums]:
    """Write a table's rows (all, or `within` [start, end) ns) to a local Parquet file; return their sums per UTC day.

    One read of the table: the rows go into a Null table whose two materialized views write them to a
    File(Parquet) table at `target` (the same settings as export_rows) and add up `sum(cityHash64(*))`
    per day, so the checksum is of exactly the rows the file was written from. The helper tables,
    named after `run`, live for this call; a killed run's leftovers go at the next call.
    """
    drop_export_tables(client, database)
    base = f"{database}.{EXPORT_TABLES}{run}"
    file_settings = ", ".join(f"{k} = {v!r}" for k, v in PARQUET_SETTINGS.items() if k.startswith("output_format"))
    try:
        client.command(f"CREATE TABLE {base}_rows AS {database}.{table} ENGINE = Null")
        client.command(
            f"CREATE TABLE {base}_file AS {database}.{table} ENGINE = File(Parquet, {{loc:String}}) "
            f"SETTINGS {file_settings}",
            parameters={"loc": target.url},
        )
        client.command(f"CREATE TABLE {base}_sums (d Date, rows UInt64, hash UInt64) ENGINE = Memory")
        client.command(f"CREATE MATERIALIZED VIEW {base}_to_file TO {base}_file AS SELECT * FROM {base}_rows")
        client.command(
            f"CREATE MATERIALIZED VIEW {base}_to_sums TO {base}_sums AS SELECT toDate({time_col}) AS d, "
            f"count() AS rows, sum(cityHash64(*)) AS hash FROM {base}_rows GROUP BY d"
        )
        params: dict = {}
        where = _range(time_col, *(within or (None, None)), params)
        client.command(
            f"INSERT INTO {base}_rows SELECT * FROM {database}.{table} WHERE {where}",
            parameters=params,
            # one insert stream, hence one file writer
            settings={**PARQUET_SETTINGS, "max_insert_threads": 1, "parallel_view_processing": 0},
        )
        rows = client.query(f"SELECT d, sum(rows), sum(hash) FROM {base}_sums GROUP BY d").result_rows
    finally:
        drop_export_tables(client, database)
    return {r[0]: Sums(int(r[1]), int(r[2])) for r in rows}


def drop_export_tables(client: Client, database: str) -> None:
    """Drop the helper tables of export_rows_summed (views first); the files they wrote stay."""
    names = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND startsWith(name, {p:String}) "
        "ORDER BY engine != 'MaterializedView'",
        parameters={"db": database, "p": EXPORT_TABLES},
    ).result_rows
    for (name,) in names:
        client.command(f"DROP TABLE IF EXISTS {database}.`{name}` SYNC")


def compact_files(client: Client, sources: Sequence[Location], target: Location) -> None:
    """Write the rows of several archives into one Parquet file."""
    params: dict = {}
    union = _union(sources, params)
    client.command(
        f"INSERT INTO FUNCTION {target.function('Parquet', len(sources), params)} SELECT * FROM {union}",
        parameters=params,
        settings=PARQUET_SETTINGS,
    )


def file_facts(client: Client, location: Location) -> tuple[int, str]:
    """Return a file's size in bytes and its SHA-256 (hex), read by ClickHouse."""
    params: dict = {}
    row = client.query(
        f"SELECT length(raw_blob), lower(hex(SHA256(raw_blob))) FROM {location.function('RawBLOB', 0, params)}",
        parameters=params,
    ).result_rows[0]
    return int(row[0]), row[1]


def schema_version(client: Client, database: str, table: str) -> str:
    """Fingerprint a table's column names and types (recorded in each manifest)."""
    row = client.query(
        "SELECT lower(hex(substring(SHA256(arrayStringConcat(groupArray(concat(name, ' ', type)), ',')), 1, 8))) "
        "FROM (SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} "
        "ORDER BY position)",
        parameters={"db": database, "t": table},
    ).result_rows[0]
    return row[0]


def delete_archived(
    client: Client,
    database: str,
    table: str,
    time_col: str,
    start_ns: int,
    end_ns: int,
    service: str,
    archives: Sequence[Location],
) -> None:
    """Delete (lightweight) one service's rows in a range whose exact content an archive holds.

    A row goes only if the archives, read now, hold a row with the same checksum of every column, so
    a row that arrived after the export stays hot for the next roll.
    """
    columns = client.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position",
        parameters={"db": database, "t": table},
    ).result_rows
    row_hash = "cityHash64(" + ", ".join(f"`{c[0]}`" for c in columns) + ")"  # what cityHash64(*) hashes
    params: dict = {}
    where = _where(time_col, start_ns, end_ns, service, params)
    held = " UNION ALL ".join(
        f"SELECT cityHash64(*) FROM {loc.function('Parquet', n, params)}" for n, loc in enumerate(archives)
    )
    client.command(
        f"DELETE FROM {database}.{table} WHERE {where} AND {row_hash} IN ({held})",
        parameters=params,
        settings={"lightweight_deletes_sync": 2},
    )


def restore_rows(
    client: Client,
    database: str,
    table: str,
    source: Location,
    time_col: str,
    start_ns: int,
    end_ns: int,
    service: str,
    token: str,
) -> None:
    """Insert an archive's rows in a range (of one service, when given) into a restore table.

    The dedup token makes a repeated restore of the same file and filter insert nothing twice.
    """
    params: dict = {"service": service}
    where = _range(time_col, start_ns, end_ns, params)
    client.command(
        f"INSERT INTO {database}.{table} SELECT * FROM {source.function('Parquet', 0, params)} "
        f"WHERE {where} AND ({{service:String}} = '' OR ServiceName = {{service:String}})",
        parameters=params,
        settings={"insert_deduplication_token": token},
    )


def table_sums(client: Client, database: str, table: str) -> Sums:
    """Return rows and content checksum of a whole table."""
    row = client.query(f"SELECT count(), sum(cityHash64(*)) FROM {database}.{table}").result_rows[0]
    return Sums(int(row[0]), int(row[1]))


def truncate(client: Client, database: str, table: str) -> None:
    """Empty a table (the restore table)."""
    client.command(f"TRUNCATE TABLE {database}.{table}")
