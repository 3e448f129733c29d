"""The steps of a roll on one table: export, verify by reading back, record, and only then drop or delete.

Every step leaves the old state or the new one. A roll first moves the period's hot partitions into
the table's rolling twin (so rows that arrive meanwhile stay hot for the next roll), then archives
whatever the rolling table holds. Which rows an archive holds is recorded per UTC day partition, so a
rerun recognises a batch that was archived but not yet dropped and finishes it instead of archiving
it twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from clickhouse_connect.driver import Client

from retention import durable
from retention.periods import Period, period_of
from retention.policy import COMPANIONS, TIME_COLUMN, ArchiveRoot, Policy, rolling_table
from retention.s3 import delete_object
from storage import Store, StoreError
from storage.queries import archives as q
from storage.queries.archives import Location, Sums, total
from storage.queries.manifests import Manifest, current_manifests, insert_manifests
from storage.queries.rollups import write_rollups

log = logging.getLogger(__name__)
DAY_PARTITIONED = tuple(t for table in TIME_COLUMN for t in (table, rolling_table(table)))
Fault = Callable[[str], None]
T = TypeVar("T")


SERVICE_BATCH = "service:"


def service_batch(service: str, run: str) -> str:
    """Name the batch of a service's roll (its prefix, with run ''): how its archives are told apart."""
    return f"{SERVICE_BATCH}{service}:{run}"


def batch_service(batch: str) -> str:
    """Return the service whose roll wrote a batch ('' for a roll of a whole period or a compaction)."""
    return batch[len(SERVICE_BATCH) :].rsplit(":", 1)[0] if batch.startswith(SERVICE_BATCH) else ""


class ArchiveMismatch(Exception):
    """An archive does not hold what its manifest or hot storage says: nothing was dropped."""


def _ns_to_dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 10**9, UTC)


def _sums_of(m: Manifest) -> dict[date, Sums]:
    return {d: Sums(r, h) for d, r, h in zip(m.partitions, m.partition_rows, m.partition_hashes, strict=True)}


def _same(recorded: Sums | None, held: Sums | int) -> bool:
    """Tell whether recorded sums match hot rows' checksum, or only their count when that is all `held` is."""
    if recorded is None:
        return False
    return recorded == held if isinstance(held, Sums) else recorded.rows == held


def _add(into: dict[date, Sums], more: dict[date, Sums]) -> dict[date, Sums]:
    for d, s in more.items():
        into[d] = into.get(d, Sums()).plus(s)
    return into


class Archiver:
    """Archive operations for one store and archive root; `fault(step)` lets tests stop at any step."""

    def __init__(self, store: Store, root: ArchiveRoot, fault: Fault | None = None) -> None:
        self.store = store
        self.root = root
        self.db = store.database
        self.fault = fault or (lambda step: None)

    def _call(self, fn: Callable[[Client], object]):
        return self.store.call(fn)

    def manifests(self) -> list[Manifest]:
        """Return the newest version of every manifest."""
        return self._call(lambda c: current_manifests(c, self.db))

    def partitions(self) -> dict[str, list[date]]:
        """Return every table's UTC day partitions that hold rows."""
        return self._call(lambda c: q.day_partitions(c, self.db, DAY_PARTITIONED))

    def service_days(self, policy: Policy, before_ns: int) -> dict[str, dict[str, list[date]]]:
        """Return, per service with a policy of its own, the local days per table it has hot rows on before a time."""
        out: dict[str, dict[str, list[date]]] = {}
        services = [sp.service for sp in policy.services]
        if not services:
            return out
        for table, time_col in policy.tables:
            found = self._call(
                lambda c, t=table, col=time_col: q.service_days(
                    c, self.db, t, col, services, policy.timezone, before_ns
                )
            )
            for service, days in found.items():
                out.setdefault(service, {})[table] = days
        return out

    def roll(self, policy: Policy, table: str, days: tuple[date, ...]) -> int:
        """Move a period's hot partitions aside, archive, verify and drop them; return rows archived."""
        done = self.finish_rolling(policy, table)  # never mix a new batch with an unfinished one
        for day in days:
            self._call(lambda c, d=day: q.move_partition(c, self.db, table, rolling_table(table), d))
        self.fault("moved")
        return done + self.finish_rolling(policy, table)

    def finish_rolling(self, policy: Policy, table: str) -> int:
        """Archive (unless a recorded batch already holds them) and drop the rows in the rolling table."""
        rolling, time_col = rolling_table(table), TIME_COLUMN[table]
        rows = self._call(lambda c: q.table_partition_rows(c, self.db, rolling, time_col))
        if not rows:
            return 0
        batch = None
        if self._matching_batch(table, rows) is not None:  # maybe a rerun after a crash: compare content
            held = self._call(lambda c: q.table_partition_sums(c, self.db, rolling, time_col))
            batch = self._matching_batch(table, held)
        if batch is None:  # _archive has just read the new files back
            made, held = self._archive(policy, table, rows)
            self._drop(table, made, held, read_back=False)
        else:  # an earlier run archived these rows: read its files back again before dropping
            self._drop(table, batch, held, read_back=True)
        return sum(rows.values())

    def roll_service(self, policy: Policy, table: str, service: str, period: Period) -> int:
        """Archive one service's hot rows of a period, verify, then delete exactly the rows archives hold.

        The period's partitions stay (the signal's other rows are still hot). A rerun first deletes the
        rows that earlier verified parts of this service and period hold, then archives what is left
        (late rows) as a new part, so a crash anywhere neither loses nor duplicates a row.
        """
        time_col = TIME_COLUMN[table]
        start, end = period.bounds_ns(policy.timezone)
        earlier = [
            self.root.location(m.location)
            for m in self.manifests()
            if (m.table, m.kind, m.period_start, m.status) == (table, period.kind, period.start, "verified")
            and m.batch.startswith(service_batch(service, ""))
        ]
        if earlier:
            self._delete(table, time_col, start, end, service, earlier)
        held = self._call(lambda c: q.table_partition_sums(c, self.db, table, time_col, start, end, service))
        if not held:
            return 0
        part = self._next_part(table, period)
        location, _ = self._export(
            table, period, part, lambda c, loc: q.export_rows(c, self.db, table, time_col, start, end, loc, service)
        )
        version = self._call(lambda c: q.schema_version(c, self.db, table))
        bounds = self._call(lambda c: q.time_bounds(c, self.db, table, time_col, start, end, service))
        batch = service_batch(service, uuid.uuid4().hex)
        made = self._verified(policy.signal, table, period, part, location, held, version, batch, bounds)
        self._record([made])
        self.fault("verified")
        self._delete(table, time_col, start, end, service, [location])
        return total(held.values()).rows

    def _delete(self, table: str, time_col: str, start: int, end: int, service: str, held: list[Location]) -> None:
        try:
            self._call(lambda c: q.delete_archived(c, self.db, table, time_col, start, end, service, held))
        except StoreError as exc:  # an unreadable archive: nothing was deleted
            raise ArchiveMismatch(
                f"{table} {service}: cannot read back {', '.join(h.url for h in held)}: {exc}"
            ) from None

    def _matching_batch(self, table: str, held: Mapping[date, Sums | int]) -> list[Manifest] | None:
        """Return the recorded batch whose archives hold exactly `held` per day (checksums, or row counts only)."""
        batches: dict[str, list[Manifest]] = {}
        for m in self.manifests():
            if m.batch.startswith(SERVICE_BATCH):  # a service's rows, deleted from hot storage already
                continue
            if m.table == table and m.status == "verified" and m.batch and set(held) & set(m.partitions):
                batches.setdefault(m.batch, []).append(m)
        for members in batches.values():
            sums: dict[date, Sums] = {}
            for m in members:
                _add(sums, _sums_of(m))
            if all(_same(sums.get(d), s) for d, s in held.items()):
                return members
        return None

    def _archive(self, policy: Policy, table: str, rows: dict[date, int]) -> tuple[list[Manifest], dict[date, Sums]]:
        """Export and verify every period the rolling rows fall in; return the manifests and the rows' checksums."""
        rolling, time_col = rolling_table(table), TIME_COLUMN[table]
        tz = policy.timezone
        days = self._call(lambda c: q.local_days(c, self.db, rolling, time_col, tz))
        periods = sorted({period_of(d, policy.period) for d in days})
        batch = uuid.uuid4().hex
        version = self._call(lambda c: q.schema_version(c, self.db, table))
        made, held = [], {}
        for period in periods:
            manifest, sums = self._archive_period(policy, table, period, version, batch)
            made.append(manifest)
            _add(held, sums)
        if {d: s.rows for d, s in held.items()} != rows:  # the exports together read every rolling row
            raise ArchiveMismatch(f"{table}: exports read {total(held.values()).rows} rows, rolling holds {rows}; kept")
        if table.startswith("otel_metrics_"):
            # rollups before the manifest: a rerun that finds no manifest writes them again, and the
            # token (from the rows' checksum) makes that second insert a no-op
            token = f"rollup:{table}:{total(held.values())}"
            self._call(lambda c: write_rollups(c, self.db, table, rolling, tz, token))
        self._record(made)
        self.fault("verified")
        return made, held

    def _archive_period(
        self, policy: Policy, table: str, period: Period, version: str, batch: str
    ) -> tuple[Manifest, dict[date, Sums]]:
        """Export the rolling rows of one period as its next part, verify it, return its manifest and checksums."""
        rolling, time_col = rolling_table(table), TIME_COLUMN[table]
        start, end = period.bounds_ns(policy.timezone)
        part = self._next_part(table, period)

        def write(c: Client, loc: Location) -> dict[date, Sums]:
            if loc.is_s3:  # an S3 table's DDL would hold the key: export, then read the rows again
                q.export_rows(c, self.db, rolling, time_col, start, end, loc)
                return q.table_partition_sums(c, self.db, rolling, time_col, start, end)
            return q.export_rows_summed(c, loc, self.db, rolling, time_col, (start, end), uuid.uuid4().hex[:12])

        location, want = self._export(table, period, part, write)
        bounds = self._call(lambda c: q.time_bounds(c, self.db, rolling, time_col, start, end))
        return self._verified(policy.signal, table, period, part, location, want, version, batch, bounds), want

    def _next_part(self, table: str, period: Period) -> int:
        parts = [
            m.part for m in self.manifests() if (m.table, m.kind, m.period_start) == (table, period.kind, period.start)
        ]
        return max(parts) + 1 if parts else 0

    def _export(
        self, table: str, period: Period, part: int, write: Callable[[Client, Location], T]
    ) -> tuple[Location, T]:
        """Write a part's file (returning what `write` does); a local one is written aside, synced and renamed."""
        url = self.root.part_url(table, period.kind, period.start, part)
        final = self.root.location(url)
        if self.root.is_s3:  # an S3 object appears only when its upload completes
            out = self._call(lambda c: write(c, final))
        else:
            path = Path(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            out = self._call(lambda c: write(c, Location(str(tmp))))
            durable.publish(tmp, path)
        self.fault("exported")
        return final, out

    def _verified(
        self,
        signal: str,
        table: str,
        period: Period,
        part: int,
        location: Location,
        want: dict[date, Sums],
        version: str,
        batch: str,
        bounds: tuple[int, int],
    ) -> Manifest:
        """Read a new archive back; return its manifest if it holds exactly `want`, else raise."""
        got = self._read_back(table, [location])
        if got != want:
            raise ArchiveMismatch(f"{location.url} read back {total(got.values())}, expected {total(want.values())}")
        size, sha = self._file_facts(location)
        days = sorted(want)
        whole = total(want.values())
        now = datetime.now(UTC)
        return Manifest(
            id=f"{table}/{period.kind}/{period.start.isoformat()}/{part:04d}",
            signal=signal,
            table=table,
            kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            part=part,
            location=location.url,
            status="verified",
            rows=whole.rows,
            content_hash=whole.hash,
            min_time=_ns_to_dt(bounds[0]),
            max_time=_ns_to_dt(bounds[1]),
            file_bytes=size,
            file_sha256=sha,
            schema_version=version,
            batch=batch,
            partitions=tuple(days),
            partition_rows=tuple(want[d].rows for d in days),
            partition_hashes=tuple(want[d].hash for d in days),
            created_at=now,
            checked_at=now,
        )

    def _read_back(self, table: str, locations: list[Location]) -> dict[date, Sums]:
        try:
            return self._call(lambda c: q.archive_partition_sums(c, locations, TIME_COLUMN[table]))
        except StoreError as exc:
            raise ArchiveMismatch(f"cannot read back {', '.join(loc.url for loc in locations)}: {exc}") from None

    def _record(self, manifests: list[Manifest]) -> None:
        """Insert manifests (one atomic insert), then their sidecar copies beside local archives."""
        self._call(lambda c: insert_manifests(c, self.db, manifests))
        if not self.root.is_s3:
            for m in manifests:
                durable.write_json(Path(m.location).with_suffix(".json"), dataclasses.asdict(m))

    def mark(self, m: Manifest, status: str, note: str = "") -> Manifest:
        """Record a new status for a manifest (a newer version of it)."""
        new = dataclasses.replace(
            m, status=status, note=note[:500], checked_at=datetime.now(UTC), version=m.version + 1
        )
        self._call(lambda c: insert_manifests(c, self.db, [new]))
        return new

    def _file_facts(self, location: Location) -> tuple[int, str]:
        """A file's size and SHA-256: a local archive streamed here in chunks (memory bounded whatever its
        size; ClickHouse would read it whole into one String), an S3 object read by ClickHouse."""
        if location.is_s3:
            return self._call(lambda c: q.file_facts(c, location))
        return local_file_facts(Path(location.url))

    def check(self, m: Manifest) -> str:
        """Read an archive back against its manifest; return '' if it holds what the manifest says, else why not."""
        if not self.root.is_s3 and not Path(m.location).exists():
            return "missing"
        try:
            got = self._read_back(m.table, [self.root.location(m.location)])
        except ArchiveMismatch as exc:
            return f"unreadable: {exc}"
        if got != _sums_of(m):
            return f"content differs: read {total(got.values())}, manifest says {Sums(m.rows, m.content_hash)}"
        size, sha = self._file_facts(self.root.location(m.location))
        if (size, sha) != (m.file_bytes, m.file_sha256):
            return f"file differs: {size} bytes sha256 {sha}, manifest says {m.file_bytes} bytes {m.file_sha256}"
        return ""

    def _drop(self, table: str, batch: list[Manifest], held: dict[date, Sums], read_back: bool) -> None:
        """Drop the rolling partitions that the batch's archives hold exactly (read back again if asked)."""
        recorded: dict[date, Sums] = {}
        for m in batch:
            _add(recorded, _sums_of(m))
        got = self._read_back_or_mark(batch) if read_back else recorded
        for day, sums in held.items():
            if recorded.get(day) != sums or got.get(day) != sums:
                raise ArchiveMismatch(f"{table} {day}: archive holds {got.get(day)}, rolling rows are {sums}; kept")
        hot = set(self.partitions().get(table, []))
        for n, day in enumerate(sorted(held)):
            self._call(lambda c, d=day: q.drop_partition(c, self.db, rolling_table(table), d))
            if table in COMPANIONS and day not in hot:
                self._call(lambda c, d=day: q.drop_partition(c, self.db, COMPANIONS[table], d))
            if n == 0:
                self.fault("dropped-one")

    def _read_back_or_mark(self, batch: list[Manifest]) -> dict[date, Sums]:
        try:
            return self._read_back(batch[0].table, [self.root.location(m.location) for m in batch])
        except ArchiveMismatch as exc:
            for m in batch:
                self.mark(m, "missing" if self.check(m) == "missing" else "corrupt", str(exc))
            raise

    def compact(self, signal: str, table: str, target: Period, source_ids: tuple[str, ...]) -> Manifest:
        """Merge verified archives into one part of `target`, verify it, then remove the sources."""
        by_id = {m.id: m for m in self.manifests()}
        sources = [by_id[i] for i in source_ids]
        want: dict[date, Sums] = {}
        for m in sources:
            problem = self.check(m)
            if problem:
                self.mark(m, "missing" if problem == "missing" else "corrupt", problem)
                raise ArchiveMismatch(f"{m.id}: {problem}; not compacted, nothing removed")
            _add(want, _sums_of(m))
        part = self._next_part(table, target)
        locations = [self.root.location(m.location) for m in sources]
        location, _ = self._export(table, target, part, lambda c, loc: q.compact_files(c, locations, loc))
        bounds = (
            int(min(m.min_time for m in sources).timestamp() * 10**9),
            int(max(m.max_time for m in sources).timestamp() * 10**9),
        )
        made = self._verified(signal, table, target, part, location, want, sources[0].schema_version, "", bounds)
        made = dataclasses.replace(made, sources=tuple(source_ids), batch=f"compact-{uuid.uuid4().hex}")
        self._record([made])
        self.fault("compacted")
        for n, m in enumerate(sources):
            self.remove(m, "deleted")
            if n == 0:
                self.fault("removed-one")
        return made

    def cleanup(self, manifest_id: str) -> None:
        """Remove an archive that a compacted archive holds, after reading that one back once more."""
        current = self.manifests()
        source = next(m for m in current if m.id == manifest_id)
        holder = next(m for m in current if m.status == "verified" and manifest_id in m.sources)
        problem = self.check(holder)
        if problem:
            self.mark(holder, "corrupt", problem)
            raise ArchiveMismatch(f"{holder.id}: {problem}; {manifest_id} kept")
        self.remove(source, "deleted")

    def remove(self, m: Manifest, status: str) -> None:
        """Delete an archive's file (and sidecar), then record it as gone."""
        if self.root.is_s3:
            delete_object(m.location, *self.root.credentials())  # one read: a matching pair
        else:
            durable.remove(Path(m.location))
            durable.remove(Path(m.location).with_suffix(".json"))
        self.mark(m, status)


def local_file_facts(path: Path) -> tuple[int, str]:
    """Return a local file's size in bytes and its SHA-256 (hex), read in chunks."""
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256")
        return f.tell(), digest.hexdigest()
