"""Archive manifests: one row per version of a manifest in `otelhouse_archives`; the newest one counts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

from clickhouse_connect.driver import Client

TABLE = "otelhouse_archives"


@dataclass(frozen=True)
class Manifest:
    """What one archive file holds and whether it was verified by reading it back."""

    id: str  # table/kind/period_start/part
    signal: str
    table: str
    kind: str  # daily, weekly, monthly
    period_start: date
    period_end: date  # exclusive
    part: int
    location: str
    status: str  # verified, deleted, expired, corrupt, missing
    rows: int
    content_hash: int
    min_time: datetime
    max_time: datetime
    file_bytes: int
    file_sha256: str
    schema_version: str
    batch: str = ""
    partitions: tuple[date, ...] = ()
    partition_rows: tuple[int, ...] = ()
    partition_hashes: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()  # ids of the archives this one compacts
    created_at: datetime = field(default_factory=datetime.now)
    checked_at: datetime = field(default_factory=datetime.now)
    note: str = ""
    version: int = 0


COLUMNS = [f.name for f in dataclasses.fields(Manifest)]


def insert_manifests(client: Client, database: str, manifests: list[Manifest]) -> None:
    """Record manifests in one insert (atomic: all of a batch or none)."""
    if not manifests:
        return
    rows = [[list(v) if isinstance(v, tuple) else v for v in dataclasses.astuple(m)] for m in manifests]
    client.insert(f"{database}.{TABLE}", rows, column_names=COLUMNS)


def current_manifests(client: Client, database: str) -> list[Manifest]:
    """Return the newest version of every manifest, by id."""
    result = client.query(f"SELECT {', '.join(COLUMNS)} FROM {database}.{TABLE} ORDER BY id, version")
    latest: dict[str, Manifest] = {}
    for row in result.result_rows:
        values = dict(zip(COLUMNS, row, strict=True))
        for key in ("partitions", "partition_rows", "partition_hashes", "sources"):
            values[key] = tuple(values[key])
        latest[values["id"]] = Manifest(**values)
    return list(latest.values())
