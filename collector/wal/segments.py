"""One signal's write-ahead log on disk: numbered segment files and its checkpoint (state.json).

Appends go to a segment opened at the first append after start-up (old segments are only read, so a
torn tail from a crash is never appended to, and an idle signal creates no file). Segments wholly
before the checkpoint's `done` are deleted; the checkpoint itself is in collector/wal/state.py.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from collector.wal.records import HEADER_SIZE, MAGIC, Corrupt, Record, decode, parse_header
from collector.wal.state import Position, State, load_state, save_state
from otelhouse.durable import fsync_path

log = logging.getLogger(__name__)
SUFFIX = ".wal"


class SignalLog:
    """Segments of one signal: append and sync (event loop side), read and checkpoint (writer side)."""

    def __init__(self, folder: Path, segment_bytes: int) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self.lock = threading.Lock()
        self.fsync: Callable[[int], None] = os.fsync  # the call that makes appends durable
        existing = sorted(int(p.stem) for p in folder.glob(f"*{SUFFIX}"))
        self.sizes = {n: self._path(n).stat().st_size for n in existing}
        self.state = load_state(self.folder / "state.json", existing[0] if existing else 1)
        self.corrupt_records = 0
        self.appended_records = 0  # records appended by this process
        self._read_fds: dict[int, int] = {}
        # appends go to a new segment; everything before `start` was there when this process started
        self.active = max([*self.sizes, self.state.done[0] - 1, 0]) + 1
        self.fd: int | None = None  # the active segment, opened at its first append
        self._drop_segments_before(self.state.done[0])
        self._drop_empty_segments()
        self.start: Position = (self.active, 0)
        self.written_end: Position = self.start
        self.synced_end: Position = self.start
        self._unsynced_fds: list[int] = []
        self._new_files = False
        self._torn = False

    # --- event-loop side -------------------------------------------------------------------

    def _path(self, n: int) -> Path:
        return self.folder / f"{n:010d}{SUFFIX}"

    def _open_active(self) -> int:
        self.fd = os.open(self._path(self.active), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.sizes[self.active] = 0
        self._new_files = True
        return self.fd

    def append(self, *parts: bytes) -> Position:
        """Write a record, given whole or in parts (not yet durable); return the position just past it."""
        size = sum(len(part) for part in parts)
        with self.lock:
            if (
                self.fd is not None
                and self.sizes[self.active]
                and (self.sizes[self.active] + size > self.segment_bytes or self._torn)
            ):
                self._unsynced_fds.append(self.fd)
                self.active += 1
                self.fd = None
            fd = self.fd if self.fd is not None else self._open_active()
            try:
                written = os.writev(fd, parts)  # header and body without joining them: no copy of the body
                if written < size:  # a short write (the disk filling up): the rest, until it fails
                    view = memoryview(b"".join(parts))[written:]
                    while view:
                        view = view[os.write(fd, view) :]
            except OSError:
                # a torn record (disk full): keep positions true to the file, whose reader skips the torn
                # bytes as corrupt, and start the next record in a new segment
                self.sizes[self.active] = os.fstat(fd).st_size
                self._torn = True
                raise
            self._torn = False
            self.sizes[self.active] += size
            self.appended_records += 1
            self.written_end = (self.active, self.sizes[self.active])
            return self.written_end

    def sync(self) -> Position:
        """Make everything written so far durable (blocking); return the durable end."""
        with self.lock:
            end = self.written_end
            old, self._unsynced_fds = self._unsynced_fds, []
            fd, new_files, self._new_files = self.fd, self._new_files, False
        try:
            for old_fd in old:
                self.fsync(old_fd)
            if fd is not None:
                self.fsync(fd)
            if new_files:
                fsync_path(self.folder)
        finally:
            for old_fd in old:
                os.close(old_fd)
        self.synced_end = max(self.synced_end, end)
        return end

    def abandon_unsynced(self) -> None:
        """Drop every record after the durable end, after an fsync failed.

        Those requests were refused (503) and their clients retry, so the records must never reach
        storage; after a failed fsync the kernel no longer says which of their pages are on disk.
        Appending goes on in a new segment.
        """
        with self.lock:
            seg, off = self.synced_end
            for n in [n for n in self.sizes if n >= seg]:
                if n > seg:  # never opened by the reader, which stops at the durable end
                    self._path(n).unlink(missing_ok=True)
                    del self.sizes[n]
            if seg in self.sizes:
                os.truncate(self._path(seg), off)
                self.sizes[seg] = off
            for fd in [*self._unsynced_fds, *([self.fd] if self.fd is not None else [])]:
                os.close(fd)
            self._unsynced_fds, self.fd, self._torn = [], None, False
            self.active = max([*self.sizes, self.active]) + 1
            self.written_end = self.synced_end

    def backlog_bytes(self) -> int:
        """Bytes appended but not yet released."""
        done_seg, done_off = self.state.done
        with self.lock:
            return sum(size for n, size in self.sizes.items() if n >= done_seg) - done_off

    def close(self) -> None:
        with self.lock:
            fds = [*self._unsynced_fds, *([self.fd] if self.fd is not None else []), *self._read_fds.values()]
            for fd in fds:
                os.close(fd)
            self._unsynced_fds, self._read_fds, self.fd = [], {}, None

    # --- writer side -----------------------------------------------------------------------

    def _reader(self, n: int) -> int | None:
        if n not in self._read_fds:
            try:
                self._read_fds[n] = os.open(self._path(n), os.O_RDONLY)
            except FileNotFoundError:
                return None
        return self._read_fds[n]

    def _limit(self, n: int, upto: Position) -> int:
        if n == upto[0]:
            return upto[1]
        with self.lock:
            return self.sizes.get(n, 0)

    def read(
        self, start: Position, upto: Position, max_items: int, max_bytes: int = 1 << 62
    ) -> tuple[list[tuple[Position, Record]], Position]:
        """Read records from `start` up to `upto` until `max_items` items or `max_bytes` of bodies.

        Return them and where to go on.

        A corrupt record (a torn tail after a crash, a damaged disk) is logged with its segment and
        offset and skipped: reading resumes at the next valid record, so it never blocks the rest.
        """
        out: list[tuple[Position, Record]] = []
        items = nbytes = 0
        n, off = start
        while (n, off) < upto and items < max_items and nbytes < max_bytes:
            limit = self._limit(n, upto)
            fd = self._reader(n)
            if fd is None or off >= limit:
                if n >= upto[0]:
                    break
                self._forget(n)
                n, off = n + 1, 0
                continue
            try:
                record = self._record_at(fd, off, limit)
            except Corrupt as exc:
                skip_to = self._resync(fd, off + 1, limit)
                log.error(
                    "write-ahead log: corrupt record skipped",
                    extra={"segment": str(self._path(n)), "offset": off, "reason": str(exc), "skipped": skip_to - off},
                )
                self.corrupt_records += 1
                off = skip_to
                continue
            out.append(((n, off), record))
            items += record.payload.items
            nbytes += len(record.payload.body)
            off += record.size
        return out, (n, off)

    @staticmethod
    def _record_at(fd: int, off: int, limit: int) -> Record:
        length, crc, meta = parse_header(os.pread(fd, HEADER_SIZE, off))
        if off + HEADER_SIZE + length > limit:
            raise Corrupt("record runs past the end of the segment")
        return decode(length, crc, meta, os.pread(fd, length, off + HEADER_SIZE))

    def _resync(self, fd: int, start: int, limit: int) -> int:
        """Return where the next true record after a corrupt one at `start` begins (or `limit`).

        A bare marker, or even a checksummed record, is not enough: a payload can hold the image of a
        record (a log line quoting a segment). So first the damaged record's own length is trusted
        when a true record follows it; else the next record is one that begins an intact chain (one
        that runs to the end, or into a torn tail with no record after it).
        """
        try:
            length, _, _ = parse_header(os.pread(fd, HEADER_SIZE, start))
            claimed_end = start + HEADER_SIZE + length
            if claimed_end == limit or (claimed_end < limit and self._chain_intact(fd, claimed_end, limit)):
                return claimed_end
        except Corrupt:
            pass
        pos = start + 1
        while (candidate := self._next_record(fd, pos, limit)) < limit:
            if self._chain_intact(fd, candidate, limit):
                return candidate
            pos = candidate + 1
        return limit

    def _next_record(self, fd: int, pos: int, limit: int) -> int:
        """Return the offset of the next checksummed record at or after `pos` (or `limit`)."""
        while pos < limit:
            chunk = os.pread(fd, min(1 << 20, limit - pos), pos)
            found = chunk.find(MAGIC)
            if found < 0:
                pos += max(1, len(chunk) - len(MAGIC) + 1)
                continue
            try:
                self._record_at(fd, pos + found, limit)
                return pos + found
            except Corrupt:
                pos += found + 1
        return limit

    def _chain_intact(self, fd: int, off: int, limit: int) -> bool:
        while off < limit:
            try:
                off += self._record_at(fd, off, limit).size
            except Corrupt:
                return self._next_record(fd, off + 1, limit) == limit  # a torn tail ends it
        return True

    def _forget(self, n: int) -> None:
        fd = self._read_fds.pop(n, None)
        if fd is not None:
            os.close(fd)

    # --- checkpoint ------------------------------------------------------------------------

    def save_state(self, state: State) -> None:
        """Replace the checkpoint durably, then delete the segments wholly before its `done`."""
        save_state(self.folder / "state.json", state)
        self.state = state
        self._drop_segments_before(state.done[0])

    def _drop_segments_before(self, segment: int) -> None:
        """Delete segments wholly stored (never the one being appended to)."""
        for n in sorted(self.sizes):
            if n >= segment or n == self.active:
                break
            self._forget(n)
            self._path(n).unlink(missing_ok=True)
            with self.lock:
                self.sizes.pop(n, None)

    def _drop_empty_segments(self) -> None:
        """Delete segments without a byte in them (older versions made one per start, per signal)."""
        for n, size in list(self.sizes.items()):
            if size == 0:
                self._path(n).unlink(missing_ok=True)
                del self.sizes[n]
