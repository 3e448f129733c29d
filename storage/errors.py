"""Storage errors, typed by what the caller should do. Only storage/ sees clickhouse-connect's."""


class StoreError(Exception):
    """Base of every storage error; the message says what happened and what to do."""


class StoreUnavailable(StoreError):
    """ClickHouse cannot be reached right now: retrying later may help."""


class StoreRejected(StoreError):
    """ClickHouse refused the data or statement as invalid: retrying will not help."""


class StoreAuthFailed(StoreError):
    """ClickHouse refused the credentials."""


class StoreLocked(StoreError):
    """The embedded engine's data folder is open in another process."""
