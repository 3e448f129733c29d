"""Apply the schema's migrations once each, record them, and keep table TTLs equal to the config."""

from __future__ import annotations

import logging
from collections.abc import Callable

from clickhouse_connect.driver import Client

from storage.durability import reconcile_durability
from storage.schema import (
    MIGRATIONS,
    MIGRATIONS_TABLE,
    SchemaOptions,
    checksum,
    migrations_table_ddl,
    render,
    ttl_expression,
)
from storage.tables import engine_full

log = logging.getLogger(__name__)


def applied_migrations(client: Client, opts: SchemaOptions) -> set[str]:
    """Return the names of migrations recorded as applied (empty if the record table is missing)."""
    exists = client.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": opts.database, "t": MIGRATIONS_TABLE},
    ).result_rows[0][0]
    if not exists:
        return set()
    rows = client.query(f"SELECT DISTINCT name FROM {opts.database}.{MIGRATIONS_TABLE}").result_rows
    return {r[0] for r in rows}


def pending_migrations(client: Client, opts: SchemaOptions) -> list[str]:
    """Return the migrations not yet applied, in order."""
    done = applied_migrations(client, opts)
    return [m.name for m in MIGRATIONS if m.name not in done]


def apply_migrations(client: Client, opts: SchemaOptions, progress: Callable[[str], None] | None = None) -> list[str]:
    """Apply pending migrations in order and record each; return what was applied.

    Every statement is idempotent (IF NOT EXISTS), so a run cut short is finished by the next one.
    Run from one place: ON CLUSTER DDL from several writers at once races.
    """
    for statement in migrations_table_ddl(opts):
        client.command(statement)
    done = applied_migrations(client, opts)
    applied = []
    for m in MIGRATIONS:
        if m.name in done:
            continue
        statements = render(m, opts)
        for statement in statements:
            client.command(statement)
        client.insert(
            f"{opts.database}.{MIGRATIONS_TABLE}",
            [[m.name, checksum(statements)]],
            column_names=["name", "checksum"],
        )
        applied.append(m.name)
        if progress:
            progress(m.name)
    reconcile_ttl(client, opts, progress)
    reconcile_durability(client, opts, progress)
    return applied


def _current_ttl(client: Client, opts: SchemaOptions, table: str) -> str:
    engine = engine_full(client, opts.database, table)
    if " TTL " not in engine:
        return ""
    return engine.split(" TTL ", 1)[1].split(" SETTINGS ", 1)[0].strip()


def reconcile_ttl(client: Client, opts: SchemaOptions, progress: Callable[[str], None] | None = None) -> list[str]:
    """Make each table's TTL match the configured days; return the tables changed."""
    changed = []
    for m in MIGRATIONS:
        if not m.ttl_column:
            continue
        table = opts.local(m.obj)
        want = ttl_expression(m, opts)
        if _current_ttl(client, opts, table) == want:
            continue
        action = f"MODIFY TTL {want}" if want else "REMOVE TTL"
        client.command(f"ALTER TABLE {opts.database}.{table} {opts.on_cluster} {action}")
        changed.append(table)
        if progress:
            progress(f"{table}: {action}")
    return changed
