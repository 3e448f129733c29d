"""The Store: the one place a process holds ClickHouse connections (a client per thread)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from clickhouse_connect.driver import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from otelhouse.config import Settings
from otelhouse.folderlock import FolderLock
from otelhouse.secrets import Lookup, fixed
from storage.connect import lock_data_folder, open_client, translate
from storage.errors import StoreError, StoreUnavailable
from storage.migrate import apply_migrations, pending_migrations
from storage.schema import SchemaOptions
from storage.target import Target, parse_target

log = logging.getLogger(__name__)
T = TypeVar("T")
_libc = ctypes.CDLL(None, use_errno=True)
MIN_FREE_BYTES = 64 << 20  # below this (or a tenth of the disk) the embedded engine gets no new insert


def syncfs(path: str) -> None:
    """Flush every dirty page of the file system holding `path` to disk (Linux syncfs(2))."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), path)
    finally:
        os.close(fd)


def schema_options(settings: Settings, database: str) -> SchemaOptions:
    """Build SchemaOptions from the settings."""
    ch = settings.clickhouse
    # the retention policy decides when rows leave hot storage; the TTLs only follow it
    return SchemaOptions(
        database=database,
        cluster=ch.cluster,
        ttl_days=settings.retention.table_ttl_days(),
        dedup_window=ch.dedup_window,
        fsync_parts=parse_target(ch).kind != "chdb",  # the embedded engine is synced by Store.sync
    )


class Store:
    """Clients for one ClickHouse target, a client per thread since a client runs one call at a time."""

    def __init__(
        self,
        target: Target,
        opts: SchemaOptions,
        connect_timeout_s: float = 10.0,
        password: Callable[[], str] | None = None,
    ) -> None:
        self.target = target
        self._password = password  # the current one, read as each client opens (secrets rotate)
        self.opts = opts
        self.database = opts.database
        self._timeout = connect_timeout_s
        self._local = threading.local()
        self._clients: list[Client] = []
        self._guard = threading.Lock()
        self._lock: FolderLock | None = None

    @classmethod
    def open(cls, settings: Settings, secrets: Lookup | None = None) -> Store:
        """Open the store named by the settings; raise StoreError saying what is wrong.

        With `secrets`, each new client uses the ClickHouse password current then.
        """
        target = parse_target(settings.clickhouse)
        current = secrets or fixed(settings)
        password = (lambda: current("clickhouse.password")) if settings.clickhouse.password else None
        opts = schema_options(settings, target.database)
        store = cls(target, opts, settings.clickhouse.connect_timeout_s, password)
        if target.kind == "chdb":
            store._lock = lock_data_folder(target.path)
        try:
            store.client()  # connect now so a wrong URL or password fails at start-up
        except BaseException:
            store.close()
            raise
        log.info("store opened", extra={"store": target.describe()})
        return store

    def current_target(self) -> Target:
        """Return the target with the password to use now."""
        return self.target if self._password is None else dataclasses.replace(self.target, password=self._password())

    def client(self) -> Client:
        """Return this thread's client, opening it on first use and again once the password has changed."""
        target = self.current_target()
        client, password = getattr(self._local, "client", (None, ""))
        if client is not None and password == target.password:
            return client
        fresh = open_client(target, self._timeout)
        self._local.client = (fresh, target.password)
        with self._guard:
            self._clients.append(fresh)
            if client in self._clients:  # not after a close() on another thread emptied the list
                self._clients.remove(client)
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        return fresh

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn clickhouse-connect exceptions raised inside into StoreErrors."""
        try:
            yield
        except ClickHouseError as exc:
            raise translate(exc, self.target) from exc

    def call(self, fn: Callable[[Client], T]) -> T:
        """Run fn with this thread's client, translating errors."""
        with self.errors():
            return fn(self.client())

    async def acall(self, fn: Callable[[Client], T]) -> T:
        """Run fn in a worker thread so the event loop never waits on ClickHouse."""
        return await asyncio.to_thread(self.call, fn)

    def migrate(self, progress: Callable[[str], None] | None = None) -> list[str]:
        """Apply pending migrations; return their names."""
        return self.call(lambda c: apply_migrations(c, self.opts, progress))

    def pending(self) -> list[str]:
        """Return migrations not applied yet (readiness needs none)."""
        return self.call(lambda c: pending_migrations(c, self.opts))

    def ping(self) -> None:
        """Raise StoreError unless ClickHouse answers a trivial query."""
        self.call(lambda c: c.query("SELECT 1"))

    def check_space(self) -> None:
        """Raise StoreUnavailable while the embedded engine's disk is nearly full (before an insert).

        An insert that runs out of space part-way can leave rows or a remembered token behind, so
        none is started below MIN_FREE_BYTES; a server watches its own disks."""
        if self.target.kind != "chdb":
            return
        stat = os.statvfs(self.target.path)
        least = min(MIN_FREE_BYTES, stat.f_blocks * stat.f_frsize // 10)  # a tenth of a small disk
        if stat.f_bavail * stat.f_frsize < least:
            raise StoreUnavailable(
                f"{self.target.describe()} has less than {least >> 20} MiB of disk free; "
                "inserts wait until space is freed"
            )

    def sync(self) -> None:
        """Make every insert acknowledged so far durable on disk (raise OSError if the disk cannot).

        The embedded engine writes parts without fsync, so its folder's file system is synced
        (syncfs). A server is not ours to sync: its tables fsync their own parts (fsync_after_insert,
        docs/ingest.md), so its acknowledgement is already the promise.
        """
        if self.target.kind == "chdb":
            syncfs(self.target.path)

    def close(self) -> None:
        """Close every client and release the data folder."""
        with self._guard:
            clients, self._clients = self._clients, []
        for client in clients:
            with contextlib.suppress(Exception):
                client.close()
        self._local = threading.local()
        if self._lock is not None:
            self._lock.release()


__all__ = ["Store", "StoreError", "schema_options"]
