"""One signal's write-ahead log on disk: numbered segment files and a small state file.

Appends go to a segment opened fresh at start-up (old segments are only read, so a torn tail from a
crash is never appended to). The state file records how far everything is stored (`done`) and the
batch being inserted (`inflight`, with its deduplication token), so a restart replays exactly that
batch under the same token and ClickHouse stores nothing twice.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from collector.wal.records import HEADER_SIZE, MAGIC, Corrupt, Record, decode, parse_header

log = logging.getLogger(__name__)
Position = tuple[int, int]  # (segment number, byte offset)
SUFFIX = ".wal"


@dataclass(frozen=True)
class Inflight:
    start: Position
    end: Position
    token: str


@dataclass(frozen=True)
class State:
    done: Position
    inflight: Inflight | None = None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SignalLog:
    """Segments of one signal: append and sync (event loop side), read and checkpoint (writer side)."""

    def __init__(self, folder: Path, segment_bytes: int) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self.lock = threading.Lock()
        existing = sorted(int(p.stem) for p in folder.glob(f"*{SUFFIX}"))
        self.sizes = {n: self._path(n).stat().st_size for n in existing}
        self.state = self._load_state(existing[0] if existing else 1)
        self.corrupt_records = 0
        self.appended_records = 0  # records appended by this process
        self._read_fds: dict[int, int] = {}
        # appends go to a new segment; everything before `start` was there when this process started
        self.active = max([*self.sizes, self.state.done[0] - 1, 0]) + 1
        self._drop_segments_before(self.state.done[0])
        self._open_active()
        self.start: Position = (self.active, 0)
        self.written_end: Position = self.start
        self.synced_end: Position = self.start
        self._unsynced_fds: list[int] = []
        self._new_files = True
        self._torn = False

    # --- event-loop side -------------------------------------------------------------------

    def _path(self, n: int) -> Path:
        return self.folder / f"{n:010d}{SUFFIX}"

    def _open_active(self) -> None:
        self.fd = os.open(self._path(self.active), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.sizes[self.active] = 0

    def append(self, data: bytes) -> Position:
        """Write a record (not yet durable); return the position just past it."""
        with self.lock:
            full = self.sizes[self.active] + len(data) > self.segment_bytes
            if self.sizes[self.active] and (full or self._torn):
                self._unsynced_fds.append(self.fd)
                self.active += 1
                self._open_active()
                self._new_files = True
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(self.fd, view) :]
            except OSError:
                # a torn record (disk full): keep positions true to the file, whose reader skips the torn
                # bytes as corrupt, and start the next record in a new segment
                self.sizes[self.active] = os.fstat(self.fd).st_size
                self._torn = True
                raise
            self._torn = False
            self.sizes[self.active] += len(data)
            self.appended_records += 1
            self.written_end = (self.active, self.sizes[self.active])
            return self.written_end

    def sync(self) -> Position:
        """Make everything written so far durable (blocking); return the durable end."""
        with self.lock:
            end = self.written_end
            old, self._unsynced_fds = self._unsynced_fds, []
            fd, new_files, self._new_files = self.fd, self._new_files, False
        for old_fd in old:
            os.fsync(old_fd)
            os.close(old_fd)
        os.fsync(fd)
        if new_files:
            _fsync_dir(self.folder)
        self.synced_end = max(self.synced_end, end)
        return end

    def backlog_bytes(self) -> int:
        """Bytes appended but not yet stored."""
        done_seg, done_off = self.state.done
        with self.lock:
            return sum(size for n, size in self.sizes.items() if n >= done_seg) - done_off

    def close(self) -> None:
        with self.lock:
            for fd in [*self._unsynced_fds, self.fd, *self._read_fds.values()]:
                os.close(fd)
            self._unsynced_fds, self._read_fds = [], {}

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
        offset and skipped: reading resumes at the next record marker, so it never blocks the rest.
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
                length, crc, meta = parse_header(os.pread(fd, HEADER_SIZE, off))
                if off + HEADER_SIZE + length > limit:
                    raise Corrupt("record runs past the end of the segment")
                record = decode(length, crc, meta, os.pread(fd, length, off + HEADER_SIZE))
            except Corrupt as exc:
                skip_to = self._next_marker(fd, off + 1, limit)
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

    def _next_marker(self, fd: int, start: int, limit: int) -> int:
        pos = start
        while pos < limit:
            chunk = os.pread(fd, min(1 << 20, limit - pos), pos)
            found = chunk.find(MAGIC)
            if found >= 0:
                return pos + found
            pos += max(1, len(chunk) - len(MAGIC) + 1)
        return limit

    def _forget(self, n: int) -> None:
        fd = self._read_fds.pop(n, None)
        if fd is not None:
            os.close(fd)

    # --- state -----------------------------------------------------------------------------

    def _load_state(self, first_segment: int) -> State:
        path = self.folder / "state.json"
        if not path.exists():
            return State(done=(first_segment, 0))
        doc = json.loads(path.read_text())
        inflight = doc.get("inflight")
        return State(
            done=tuple(doc["done"]),
            inflight=Inflight(tuple(inflight["start"]), tuple(inflight["end"]), inflight["token"])
            if inflight
            else None,
        )

    def save_state(self, state: State, durable: bool) -> None:
        """Replace the state file atomically; `durable` also flushes it to disk."""
        doc = {"done": state.done, "inflight": None}
        if state.inflight:
            doc["inflight"] = {"start": state.inflight.start, "end": state.inflight.end, "token": state.inflight.token}
        tmp = self.folder / "state.json.tmp"
        with open(tmp, "w") as fh:
            json.dump(doc, fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, self.folder / "state.json")
        if durable:
            _fsync_dir(self.folder)
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
