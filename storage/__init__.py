"""The ClickHouse layer: connect from a URL, schema and migrations, batch insert, read queries."""

from storage.errors import StoreAuthFailed, StoreError, StoreLocked, StoreRejected, StoreUnavailable
from storage.store import Store, schema_options

__all__ = [
    "Store",
    "StoreAuthFailed",
    "StoreError",
    "StoreLocked",
    "StoreRejected",
    "StoreUnavailable",
    "schema_options",
]
