"""What system.tables says of a table: its full engine clause and the settings in it."""

from __future__ import annotations

import re

from clickhouse_connect.driver import Client

_SETTING = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|[^,\s]+)")


def engine_full(client: Client, database: str, table: str) -> str:
    """Return the table's engine clause as ClickHouse shows it (ORDER BY, TTL, SETTINGS and all)."""
    return client.query(
        "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": database, "t": table},
    ).result_rows[0][0]


def table_settings(engine: str) -> dict[str, str]:
    """Parse the SETTINGS of an engine clause into exact name -> value pairs."""
    if " SETTINGS " not in engine:
        return {}
    return dict(_SETTING.findall(engine.rsplit(" SETTINGS ", 1)[1]))
