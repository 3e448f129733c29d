"""The write-ahead log: a request's payload is appended and fsynced, grouped across concurrent
requests, before the request is acknowledged. One log per signal under `wal_dir`."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path

from collector.batch import PipelineSettings, Refused
from collector.otlp.model import Payload, Signal
from collector.wal.records import header
from collector.wal.segments import SignalLog
from collector.wal.source import WalSource
from collector.wal.state import Position
from otelhouse.durable import write_atomic
from otelhouse.folderlock import FolderBusy, FolderLock

log = logging.getLogger(__name__)


class WalUnavailable(Exception):
    """The write-ahead log's folder cannot be used (locked by another process, unwritable)."""


def unwritable(exc: OSError, retry_after: int) -> Refused:
    """The refusal for a request whose payload could not be put on disk (503: retry later)."""
    return Refused(f"the write-ahead log cannot be written ({exc.strerror}); retry later", retry_after, False)


class _GroupSync:
    """fsync once for every request that appended while the previous fsync ran."""

    def __init__(self, log: SignalLog, source: WalSource, retry_after: int) -> None:
        self.log = log
        self.source = source
        self.retry_after = retry_after
        self.waiters: list[tuple[Position, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def wait(self, end: Position) -> None:
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((end, future))
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())
        await future

    async def _run(self) -> None:
        try:
            while self.waiters:
                try:
                    synced = await asyncio.to_thread(self.log.sync)
                except OSError as exc:
                    error = unwritable(exc, self.retry_after)
                    # no await until every waiter is refused: a record appended meanwhile is refused too
                    try:
                        self.log.abandon_unsynced()
                    except OSError as again:
                        log.error("write-ahead log: cannot drop refused records", extra={"error": str(again)})
                    waiters, self.waiters = self.waiters, []
                    for _, future in waiters:
                        if not future.done():
                            future.set_exception(error)
                    log.error("write-ahead log fsync failed", extra={"error": str(exc)})
                    continue
                self.source.durable()
                still = []
                for end, future in self.waiters:
                    if end <= synced:
                        if not future.done():
                            future.set_result(None)
                    else:
                        still.append((end, future))
                self.waiters = still
        finally:
            self.task = None


def _log_id(path: Path) -> str:
    """Read the log's id, creating it (atomically, durably) when missing or torn."""
    try:
        wal_id = path.read_text().strip()
    except FileNotFoundError:
        wal_id = ""
    if len(wal_id) != 32:
        if path.exists():
            log.error("write-ahead log: unreadable id file; making a new one", extra={"file": str(path)})
        wal_id = uuid.uuid4().hex
        write_atomic(path, wal_id.encode())
    return wal_id


class WriteAheadLog:
    """Per-signal logs in one folder that only this process uses."""

    def __init__(self, folder: str, cfg: PipelineSettings, max_bytes: int, segment_bytes: int) -> None:
        self.folder = Path(folder)
        self.cfg = cfg
        self.max_bytes = max_bytes
        self.lock = FolderLock(folder)
        try:
            self.lock.acquire()
        except FolderBusy as busy:
            raise WalUnavailable(
                f"the write-ahead log folder {folder} is in use by another otelhouse process (pid {busy.holder}); "
                "give each collector its own collector.wal_dir"
            ) from None
        # part of every deduplication token, so a wiped log never reuses a stored batch's token
        self.wal_id = _log_id(self.folder / "id")
        self.logs = {s: SignalLog(self.folder / s.value, segment_bytes) for s in Signal}
        self.sources = {s: WalSource(self.wal_id, s, self.logs[s], cfg) for s in Signal}
        self.syncs = {s: _GroupSync(self.logs[s], self.sources[s], cfg.retry_after_s) for s in Signal}

    def source(self, signal: Signal) -> WalSource:
        return self.sources[signal]

    def backlog_bytes(self) -> int:
        return sum(lg.backlog_bytes() for lg in self.logs.values())

    async def append(self, payload: Payload, store_down: bool) -> None:
        """Append a payload and return once it is on disk; raise Refused past the disk quota."""
        head = header(payload, time.time_ns())  # the body is written after it without a copy (writev)
        if self.backlog_bytes() + len(head) + len(payload.body) > self.max_bytes:
            reason = "storage is unavailable" if store_down else "storage is behind"
            raise Refused(
                f"{reason} and the write-ahead log is full (collector.wal_max_bytes); retry later",
                self.cfg.retry_after_s,
                overloaded=not store_down,
            )
        try:
            end = self.logs[payload.signal].append(head, payload.body)
        except OSError as exc:
            raise unwritable(exc, self.cfg.retry_after_s) from None
        await self.syncs[payload.signal].wait(end)

    async def replayed(self, report_every_s: float = 5.0) -> None:
        """Wait until every record that was in the log at start-up is stored, logging progress."""
        targets = {s: lg.start for s, lg in self.logs.items()}
        backlog = self.backlog_bytes()
        if backlog:
            log.info("replaying the write-ahead log", extra={"bytes": backlog})
        last = time.monotonic()
        while not all(self.sources[s].caught_up(p) for s, p in targets.items()):
            await asyncio.sleep(0.05)
            if time.monotonic() - last > report_every_s:
                log.info("still replaying the write-ahead log", extra={"bytes_left": self.backlog_bytes()})
                last = time.monotonic()
        if backlog:
            log.info("write-ahead log replayed")

    def stats(self) -> dict[str, dict[str, float]]:
        """Backlog per signal: records and bytes not yet stored, the age of the oldest record."""
        now = time.time_ns()
        return {
            s.value: {
                # records from before this start are all stored before requests are accepted
                "records": max(0, self.logs[s].appended_records - src.finished_records),
                "bytes": self.logs[s].backlog_bytes(),
                "oldest_age_s": (now - src.oldest_ns) / 1e9 if src.oldest_ns else 0.0,
                "corrupt_records": self.logs[s].corrupt_records,
            }
            for s, src in self.sources.items()
        }

    def close(self) -> None:
        for lg in self.logs.values():
            lg.close()
        self.lock.release()
