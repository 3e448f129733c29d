"""Restore archived logs into a table without TTL that the log explorer searches beside hot data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from retention.periods import local_midnight_ns
from retention.policy import ArchiveRoot
from storage import Store
from storage.queries import archives as q
from storage.queries.archives import Sums
from storage.queries.manifests import Manifest, current_manifests

RESTORE_TABLE = "otel_logs_restored"


@dataclass(frozen=True)
class RestoreReport:
    archives: int
    rows_in_table: int


def archives_for(manifests: list[Manifest], table: str, first: date, last: date) -> list[Manifest]:
    """Return the verified archives of `table` that hold rows of local days [first, last], no row twice."""
    live = [m for m in manifests if m.status == "verified" and m.table == table]
    superseded = {s for m in live for s in m.sources}
    return sorted(
        (m for m in live if m.id not in superseded and m.period_start <= last and m.period_end > first),
        key=lambda m: (m.period_start, m.part),
    )


def restore_logs(
    store: Store,
    root: ArchiveRoot,
    tz: str,
    first: date,
    last: date,
    service: str = "",
    progress: Callable[[int, int, str], None] | None = None,
) -> RestoreReport:
    """Load archived log rows of local days [first, last] (one service, when given) into the restore table."""
    progress = progress or (lambda done, total, what: None)
    chosen = archives_for(store.call(lambda c: current_manifests(c, store.database)), "otel_logs", first, last)
    start, end = local_midnight_ns(first, tz), local_midnight_ns(last + timedelta(days=1), tz)
    for n, m in enumerate(chosen):
        progress(n, len(chosen), f"{m.id} ({m.rows} rows)")
        token = f"restore:{m.id}:{m.content_hash}:{start}:{end}:{service}"
        store.call(
            lambda c, m=m, token=token: q.restore_rows(
                c, store.database, RESTORE_TABLE, root.location(m.location), "Timestamp", start, end, service, token
            )
        )
    progress(len(chosen), len(chosen), "done")
    rows = store.call(lambda c: q.table_sums(c, store.database, RESTORE_TABLE)).rows
    return RestoreReport(archives=len(chosen), rows_in_table=rows)


def drop_restored(store: Store) -> Sums:
    """Empty the restore table; return what it held."""
    held = store.call(lambda c: q.table_sums(c, store.database, RESTORE_TABLE))
    store.call(lambda c: q.truncate(c, store.database, RESTORE_TABLE))
    return held
