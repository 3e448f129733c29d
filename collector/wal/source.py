"""The writer's side of the write-ahead log: read durable records in order, checkpoint stored ones."""

from __future__ import annotations

import threading
import time

from collector.otlp.model import Signal
from collector.pipeline import Entry, Pending, PipelineSettings, Refused
from collector.wal.records import Record
from collector.wal.segments import Inflight, Position, SignalLog, State


class WalSource:
    """Batches of one signal's durable records; a restart first replays the in-flight batch as it was."""

    def __init__(self, wal_id: str, signal: Signal, log: SignalLog, cfg: PipelineSettings) -> None:
        self.wal_id = wal_id
        self.signal = signal
        self.log = log
        self.cfg = cfg
        self.cond = threading.Condition()
        self.read_pos = log.state.done
        self.pending = Pending(cfg)
        self.stopping = False
        self.oldest_ns = 0  # append time of the oldest record not yet stored (0: none)
        self._replay = log.state.inflight
        self._inflight = False
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
        if self.pending and not self.oldest_ns:
            self.oldest_ns = int(self.pending.oldest() * 1e9)

    def _due(self) -> bool:
        if not self.pending:
            return False
        if self.stopping or self.pending.full():
            return True
        return time.time() - self.pending.oldest() >= self.cfg.batch_age_s

    def _replayed_batch(self, inflight: Inflight) -> list[Entry]:
        records, _ = self.log.read(inflight.start, inflight.end, 1 << 62)
        self.read_pos = max(self.read_pos, inflight.end)
        return _entries(records)

    def next_batch(self) -> list[Entry] | None:
        if self._replay is not None:
            batch = self._replayed_batch(self._replay)
            if batch:
                return batch
            self._replay = None
        while True:
            self._fill()
            if self._due():
                return self.pending.take()
            with self.cond:
                if self.read_pos < self.log.synced_end and not self.pending.full():
                    continue
                if self.stopping and not self.pending:
                    return None
                wait = None
                if self.pending:
                    wait = max(0.0, self.cfg.batch_age_s - (time.time() - self.pending.oldest()))
                self.cond.wait(wait)

    def token(self, batch: list[Entry]) -> str:
        if self._replay is not None:
            token, self._replay = self._replay.token, None
            return token
        start, end = batch[0].ref[0], batch[-1].ref[1]
        return f"{self.wal_id}:{self.signal}:{start[0]}.{start[1]}-{end[0]}.{end[1]}"

    def begin(self, batch: list[Entry], token: str) -> None:
        self._inflight = True
        # durable before the insert: after a crash, the same records go again under the same token
        self.log.save_state(State(self.log.state.done, Inflight(batch[0].ref[0], batch[-1].ref[1], token)), True)

    def finish(self, batch: list[Entry], error: BaseException | None) -> None:
        self._inflight = False
        if isinstance(error, Refused):
            return  # given up at shutdown: the records stay in the log for the next start
        # stored, or rejected as invalid (logged and counted by the writer): either way done
        self.finished_records += sum(1 for e in batch if e.ref[0] >= self.log.start)
        self.log.save_state(State(batch[-1].ref[1]), durable=False)
        self.oldest_ns = int(self.pending.oldest() * 1e9) if self.pending else 0

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify()

    def caught_up(self, position: tuple[int, int]) -> bool:
        """True once everything before `position` is stored."""
        return self._replay is None and not self._inflight and not self.pending and self.read_pos >= position


def _entries(records: list[tuple[Position, Record]]) -> list[Entry]:
    """Entries for records read from the log; `ref` is the record's (start, end) position."""
    return [Entry(r.payload, (start, (start[0], start[1] + r.size)), r.appended_ns / 1e9) for start, r in records]
