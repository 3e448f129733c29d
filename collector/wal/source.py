"""The writer's side of the write-ahead log: read durable records in order, release stored ones.

Batches are handed out strictly in log order. Each is listed in the checkpoint (range and token)
before its insert; once stored it waits there until the store's folder has been synced, and only then
does the checkpoint's `done` move past it (`release`), so a crash or power loss never leaves
acknowledged records that are neither durable in the store nor in the log. A restart replays the
listed batches first, as they were.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import NamedTuple

from collector.batch import Entry, Pending, PipelineSettings, Refused
from collector.otlp.model import Signal
from collector.wal.records import Record
from collector.wal.segments import SignalLog
from collector.wal.state import Batch, Position, State, boot_id


class Span(NamedTuple):
    """Where an entry's record is in the log, and when it was appended (wall clock, for the metric)."""

    start: Position
    end: Position
    appended_ns: int


class Listed:
    """A batch in the checkpoint, and whether it is stored (not yet synced)."""

    __slots__ = ("batch", "stored")

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.stored = False


class WalSource:
    """Batches of one signal's durable records; a restart first replays the listed batches."""

    def __init__(self, wal_id: str, signal: Signal, log: SignalLog, cfg: PipelineSettings) -> None:
        self.wal_id = wal_id
        self.signal = signal
        self.log = log
        self.cfg = cfg
        self.cond = threading.Condition()
        self.lock = threading.Lock()  # the checkpoint: the writer lists batches, the checkpointer releases
        self.boot_id = boot_id()
        state = log.state
        batches = state.batches
        if state.boot_id != self.boot_id:
            # after a reboot the engine may have lost rows whose tokens it kept: insert again (at least once)
            batches = tuple(Batch(b.start, b.end, f"{b.token}/{self.boot_id[:8]}") for b in batches)
        self.listed = [Listed(b) for b in batches]
        self.replay = list(batches)
        self.read_pos = batches[-1].end if batches else state.done
        self._save(state.done)
        self.pending = Pending(cfg)
        self.stopping = False
        self.taken = False  # a batch is with the writer and not yet stored
        self.oldest_ns = 0  # append time (wall clock) of the oldest record not yet stored (0: none)
        self.finished_records = 0  # records appended by this process that are now stored or dropped

    # --- called from the event loop --------------------------------------------------------

    def durable(self) -> None:
        """New records are durable: wake the writer."""
        with self.cond:
            self.cond.notify()

    # --- the writer thread -----------------------------------------------------------------

    def _fill(self) -> None:
        if self.pending.full() or self.read_pos >= self.log.synced_end:
            return
        records, self.read_pos = self.log.read(
            self.read_pos,
            self.log.synced_end,
            self.cfg.batch_items - self.pending.items,
            self.cfg.batch_bytes - self.pending.bytes,
        )
        self.pending.add(_entries(records))
        if records and not self.oldest_ns:
            self.oldest_ns = self.pending.entries[0].ref.appended_ns

    def _due(self) -> bool:
        if not self.pending:
            return False
        if self.stopping or self.pending.full():
            return True
        return time.monotonic() - self.pending.oldest() >= self.cfg.batch_age_s

    def _replayed(self) -> list[Entry] | None:
        """The next listed batch to replay, read as it was; one with no readable record is stored."""
        while self.replay:
            batch = self.replay[0]
            entries = _entries(self.log.read(batch.start, batch.end, 1 << 62)[0])
            self.replay.pop(0)
            if entries:
                if not self.oldest_ns:
                    self.oldest_ns = entries[0].ref.appended_ns
                return entries
            with self.lock:
                self._listed_of(batch.start).stored = True
        return None

    def next_batch(self, block: bool = True) -> list[Entry] | None:
        """The next batch in log order; None once stopping and drained (or, not blocking, when none)."""
        batch = self._replayed()
        while batch is None:
            self._fill()
            if self._due() or (not block and self.pending):
                batch = self.pending.take()
                break
            if not block:
                return None
            with self.cond:
                if self.read_pos < self.log.synced_end and not self.pending.full():
                    continue
                if self.stopping and not self.pending:
                    return None
                wait = None
                if self.pending:
                    wait = max(0.0, self.cfg.batch_age_s - (time.monotonic() - self.pending.oldest()))
                self.cond.wait(wait)
        self.taken = True
        return batch

    def _listed_of(self, position: Position) -> Listed:
        """The listed batch holding `position` (call holding `lock`)."""
        for listed in self.listed:
            if listed.batch.start <= position < listed.batch.end:
                return listed
        raise KeyError(position)

    def _find(self, batch: list[Entry]) -> Listed | None:
        with self.lock:
            try:
                return self._listed_of(batch[0].ref.start)
            except KeyError:
                return None

    def token(self, batch: list[Entry]) -> str:
        listed = self._find(batch)
        if listed is not None:
            return listed.batch.token
        start, end = batch[0].ref.start, batch[-1].ref.end
        return f"{self.wal_id}:{self.signal}:{start[0]}.{start[1]}-{end[0]}.{end[1]}"

    def begin(self, batch: list[Entry], token: str) -> None:
        """List the batch in the checkpoint, durably, before its first insert (once)."""
        if self._find(batch) is not None:
            return  # listed already: a retry, or a replay
        with self.lock:
            self.listed.append(Listed(Batch(batch[0].ref.start, batch[-1].ref.end, token)))
            self._save(self.log.state.done)

    def finish(self, batch: list[Entry], rejected: Mapping[int, str]) -> None:
        """Mark a batch stored (its rejected payloads, logged and counted by the writer, dropped)."""
        listed = self._find(batch)
        if listed is not None:
            listed.stored = True
        self.taken = False
        self.finished_records += sum(1 for e in batch if e.ref.start >= self.log.start)
        self.oldest_ns = self.pending.entries[0].ref.appended_ns if self.pending else 0

    def give_up(self, batch: list[Entry] | None, error: Refused) -> None:
        """Shutdown grace is over: the batch stays listed and everything stays in the log for the next start."""

    # --- the checkpointer ------------------------------------------------------------------

    def releasable(self) -> int:
        """How many listed batches, from the oldest, are stored (to release after the next store sync)."""
        with self.lock:
            count = 0
            while count < len(self.listed) and self.listed[count].stored:
                count += 1
            return count

    def release(self, count: int) -> None:
        """Move `done` past the first `count` listed batches, durably; call only after a store sync."""
        if not count:
            return
        with self.lock:
            done = self.listed[count - 1].batch.end
            del self.listed[:count]
            self._save(done)

    def _save(self, done: Position) -> None:
        self.log.save_state(State(done, tuple(x.batch for x in self.listed), self.boot_id))

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify()

    def caught_up(self, position: Position) -> bool:
        """True once everything before `position` is stored."""
        return (
            not self.replay
            and not self.taken
            and not self.pending
            and all(x.stored for x in self.listed)
            and self.read_pos >= position
        )


def _entries(records: list[tuple[Position, Record]]) -> list[Entry]:
    """Entries for records read from the log; their age counts from now (monotonic), not the record's stamp."""
    return [Entry(r.payload, Span(start, (start[0], start[1] + r.size), r.appended_ns)) for start, r in records]
