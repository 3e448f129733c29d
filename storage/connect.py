"""Open clickhouse-connect clients for a Target, turning driver failures into StoreErrors."""

from __future__ import annotations

import os
import re

import clickhouse_connect
from clickhouse_connect.driver import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError, OperationalError

from otelhouse.folderlock import FolderBusy, FolderLock
from storage.errors import (
    StoreAuthFailed,
    StoreError,
    StoreLocked,
    StoreRejected,
    StoreUnavailable,
)
from storage.target import Target

# AUTHENTICATION_FAILED, UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD
_AUTH_CODES = {"516", "192", "193", "194"}
# Errors about the data itself (parse failures, type mismatches, bad protobuf): the same rows fail the
# same way again. Any other error (disk full, too many parts, memory limit, read-only, timeouts) is
# about the store, and a retry may succeed, so those never drop data.
_BAD_DATA_CODES = {
    "6",
    "26",
    "27",
    "32",
    "33",
    "38",
    "41",
    "53",
    "69",
    "70",
    "72",
    "117",
    "130",
    "190",
    "321",
    "349",
    "434",
    "444",
}


def _error_code(exc: Exception) -> str | None:
    match = re.search(r"Code: (\d+)", str(exc))
    return match.group(1) if match else None


def translate(exc: ClickHouseError, target: Target) -> StoreError:
    """Map a clickhouse-connect exception to the StoreError that says what to do."""
    where = target.describe()
    code = _error_code(exc)
    if code in _AUTH_CODES:
        return StoreAuthFailed(
            f"{where} refused user {target.username!r}: wrong user or password. "
            "Set OTELHOUSE_CLICKHOUSE_PASSWORD (or OTELHOUSE_CLICKHOUSE_PASSWORD_FILE) to the right one."
        )
    if isinstance(exc, OperationalError) or code is None:
        reason = "connection refused" if "refused" in str(exc).lower() else "no answer"
        return StoreUnavailable(f"cannot reach {where} ({reason}). Start the server, or fix OTELHOUSE_CLICKHOUSE_URL.")
    first_line = str(exc).strip().splitlines()[0][:500]
    if isinstance(exc, DatabaseError) and code in _BAD_DATA_CODES:
        return StoreRejected(f"{where} rejected the data: {first_line}")
    return StoreUnavailable(f"{where} cannot take this now: {first_line}")


def lock_data_folder(folder: str) -> FolderLock:
    """Lock the embedded engine's data folder, or raise StoreLocked saying who holds it."""
    lock = FolderLock(folder)
    try:
        lock.acquire()
    except FolderBusy as busy:
        raise StoreLocked(
            f"the chDB data folder {folder} is already open in another otelhouse process "
            f"(pid {busy.holder}). Stop that process, or point OTELHOUSE_CLICKHOUSE_URL at another folder "
            "(chdb://PATH), or use a ClickHouse server to run the parts in separate processes."
        ) from None
    return lock


# ClickHouse's allocator (jemalloc, inside chDB) keeps freed pages for 10 s by default, so the process
# holds several inserts' worth of memory it no longer uses; a background thread returning them after
# 300 ms cuts peak RSS by a fifth (docs/performance.md). Read once, when chDB loads; a JE_MALLOC_CONF
# already in the environment wins.
ENGINE_MALLOC_CONF = "background_thread:true,dirty_decay_ms:300,muzzy_decay_ms:0"


def open_client(target: Target, connect_timeout_s: float = 10.0) -> Client:
    """Open one client on the target's engine; it talks to the server at once to fail early."""
    try:
        if target.kind == "chdb":
            os.environ.setdefault("JE_MALLOC_CONF", ENGINE_MALLOC_CONF)
            return clickhouse_connect.get_client(interface="chdb", path=target.path)
        return clickhouse_connect.get_client(
            host=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            secure=target.secure,
            connect_timeout=connect_timeout_s,
            send_receive_timeout=300,
            compress=False,
            autogenerate_session_id=False,
        )
    except ClickHouseError as exc:
        raise translate(exc, target) from None
