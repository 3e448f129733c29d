"""Where the store is: parse OTELHOUSE_CLICKHOUSE_URL (plus password/database overrides)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from otelhouse.config import ClickHouseSettings

DEFAULT_DATABASE = "default"


@dataclass(frozen=True)
class Target:
    """A parsed store location: the embedded engine on a path, or a server over HTTP."""

    kind: str  # "chdb" or "http"
    database: str
    path: str = ""
    host: str = ""
    port: int = 0
    username: str = "default"
    password: str = ""
    secure: bool = False

    def describe(self) -> str:
        """Say where the store is, without secrets."""
        if self.kind == "chdb":
            return f"embedded ClickHouse (chDB) at {self.path}"
        scheme = "https" if self.secure else "http"
        return f"ClickHouse server {scheme}://{self.host}:{self.port}/{self.database}"


def parse_target(ch: ClickHouseSettings) -> Target:
    """Turn the clickhouse settings into a Target; the URL was validated at load time."""
    parts = urlsplit(ch.url)
    if parts.scheme == "chdb":
        # chdb://./data/clickhouse and chdb:///abs/path both mean "this path"
        path = ch.url[len("chdb://") :].split("?", 1)[0] or "./data/clickhouse"
        return Target(kind="chdb", path=path, database=ch.database or DEFAULT_DATABASE)
    secure = ch.secure or parts.scheme == "https"
    url_database = unquote(parts.path.strip("/").split("/")[0]) if parts.path else ""
    return Target(
        kind="http",
        host=parts.hostname or "localhost",
        port=parts.port or (8443 if secure else 8123),
        username=unquote(parts.username) if parts.username else "default",
        password=ch.password or (unquote(parts.password) if parts.password else ""),
        database=ch.database or url_database or DEFAULT_DATABASE,
        secure=secure,
    )
