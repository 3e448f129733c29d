"""Table settings the collector's exactly-once promise rests on, kept equal to the configuration.

- The deduplication window: how many recent insert tokens a table remembers. A replay after a crash
  is recognised only while its token is still in the window, and every writer of the table shares
  it, so it is sized from `clickhouse.dedup_window` (docs/ingest.md says how).
- On a server (which the collector cannot sync), parts are fsynced before an insert is answered, so
  an acknowledged insert is on disk when the write-ahead log releases it. The embedded engine is
  synced by the collector instead (Store.sync), which costs far less than fsync per part.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from clickhouse_connect.driver import Client

from storage.schema import TABLES, SchemaOptions
from storage.tables import engine_full, table_settings

log = logging.getLogger(__name__)


def durability_settings(opts: SchemaOptions) -> dict[str, int]:
    """Return the MergeTree settings every table should have."""
    window = "replicated_deduplication_window" if opts.cluster else "non_replicated_deduplication_window"
    wanted = {window: opts.dedup_window}
    if opts.fsync_parts:
        wanted |= {"fsync_after_insert": 1, "fsync_part_directory": 1}
    return wanted


def reconcile_durability(
    client: Client, opts: SchemaOptions, progress: Callable[[str], None] | None = None
) -> list[str]:
    """Give each table the settings it lacks (ALTER ... MODIFY SETTING); return the tables changed."""
    wanted = durability_settings(opts)
    changed = []
    for obj in TABLES:
        table = opts.local(obj)
        current = table_settings(engine_full(client, opts.database, table))
        missing = {k: v for k, v in wanted.items() if current.get(k) != str(v)}
        if not missing:
            continue
        assignments = ", ".join(f"{k} = {int(v)}" for k, v in missing.items())
        client.command(f"ALTER TABLE {opts.database}.{table} {opts.on_cluster} MODIFY SETTING {assignments}")
        changed.append(table)
        if progress:
            progress(f"{table}: {assignments}")
    return changed
