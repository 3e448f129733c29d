"""Batch accepted payloads per signal and write them from a thread, so the event loop never waits.

A writer thread per signal takes batches from a source and stores them through the sink, retrying
with backoff and jitter while storage is unavailable (the same deduplication token each time) and
dropping, alone, a payload storage rejects as invalid. Two sources:
- the write-ahead log (collector/wal): a request is acknowledged once its payload is on disk, and
  the writer drains the log;
- memory (write-ahead log off): a request is acknowledged once its batch is stored; bounded by
  `max_queue_bytes` (429 past it).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from collector.metrics import CollectorMetrics
from collector.otlp.model import Payload, Signal
from storage.errors import StoreError, StoreRejected

log = logging.getLogger(__name__)

Sink = Callable[[list[Payload], str], None]
"""Stores a batch under a deduplication token; returns only once every row is stored.

Raises StoreRejected (drop) or StoreError (retry). Retrying with the same token stores nothing
twice, so an insert that succeeded but whose answer was lost is safe to repeat."""


class Refused(Exception):
    """The pipeline cannot take this payload now; the client should retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int, overloaded: bool) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.overloaded = overloaded  # True: saturated (429); False: store unavailable (503)


class Rejected(Exception):
    """Storage refused the payload as invalid; it will not be stored."""


@dataclass(frozen=True)
class PipelineSettings:
    batch_items: int = 120_000
    batch_bytes: int = 20 * 1024 * 1024
    batch_age_s: float = 0.2
    max_queue_bytes: int = 256 * 1024 * 1024
    retry_after_s: int = 5
    stop_timeout_s: float = 15.0


@dataclass(slots=True)
class Entry:
    """A payload on its way to storage, with what its source needs to settle it."""

    payload: Payload
    ref: Any = None  # the source's handle: a future (memory) or log positions (write-ahead log)
    appended: float = field(default_factory=time.monotonic)


class Source(Protocol):
    """Where a writer takes batches from, and whom it tells how each batch ended."""

    def next_batch(self) -> list[Entry] | None:
        """Block until a batch is due; None once stopping and drained."""

    def token(self, batch: list[Entry]) -> str:
        """The batch's deduplication token (the same for a replay of the same batch)."""

    def begin(self, batch: list[Entry], token: str) -> None:
        """Called before the first insert attempt."""

    def finish(self, batch: list[Entry], error: BaseException | None) -> None:
        """Stored (None), dropped as invalid (Rejected) or given up at shutdown (Refused)."""

    def stop(self) -> None:
        """Wake the writer so it drains what is due and ends."""


class Pending:
    """Entries waiting to be batched, oldest first, with their item and byte totals.

    A batch ends at collector.batch_items or batch_bytes, whichever is reached first: the engine's
    memory per insert grows with both.
    """

    def __init__(self, cfg: PipelineSettings) -> None:
        self.cfg = cfg
        self.entries: deque[Entry] = deque()
        self.items = 0
        self.bytes = 0

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entries: list[Entry]) -> None:
        self.entries.extend(entries)
        self.items += sum(e.payload.items for e in entries)
        self.bytes += sum(len(e.payload.body) for e in entries)

    def full(self) -> bool:
        return self.items >= self.cfg.batch_items or self.bytes >= self.cfg.batch_bytes

    def oldest(self) -> float:
        """When the oldest entry was appended (its clock is the source's)."""
        return self.entries[0].appended

    def take(self) -> list[Entry]:
        """Pop entries from the left while they fit in the batch limits (always at least one)."""
        batch: list[Entry] = []
        items = nbytes = 0
        while self.entries and (
            not batch
            or (
                items + self.entries[0].payload.items <= self.cfg.batch_items
                and nbytes + len(self.entries[0].payload.body) <= self.cfg.batch_bytes
            )
        ):
            entry = self.entries.popleft()
            batch.append(entry)
            items += entry.payload.items
            nbytes += len(entry.payload.body)
        self.items -= items
        self.bytes -= nbytes
        return batch


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class MemorySource:
    """An in-memory queue of one signal's payloads; each request waits until its batch is stored."""

    def __init__(self, signal: Signal, cfg: PipelineSettings, budget: _Budget, metrics: CollectorMetrics) -> None:
        self.signal = signal
        self.cfg = cfg
        self.budget = budget
        self.metrics = metrics
        self.queue = Pending(cfg)
        self.cond = threading.Condition()
        self.stopping = False

    def put(self, entry: Entry) -> None:
        """Queue a payload whose `ref` is (future, loop), or raise Refused when saturated."""
        if self.stopping:
            raise Refused("the collector is shutting down; retry later", self.cfg.retry_after_s, overloaded=False)
        if not self.budget.take(len(entry.payload.body)):
            raise Refused(
                "the collector's write queue is full (collector.max_queue_bytes); retry later",
                self.cfg.retry_after_s,
                overloaded=True,
            )
        with self.cond:
            self.queue.add([entry])
            self.metrics.queue_items.labels(self.signal).set(self.queue.items)
            if self.queue.full() or len(self.queue) == 1:
                self.cond.notify()

    def _due(self) -> bool:
        if not self.queue:
            return False
        if self.stopping or self.queue.full():
            return True
        return time.monotonic() - self.queue.oldest() >= self.cfg.batch_age_s

    def next_batch(self) -> list[Entry] | None:
        with self.cond:
            while not self._due():
                if self.stopping and not self.queue:
                    return None
                wait = None
                if self.queue:
                    wait = max(0.0, self.cfg.batch_age_s - (time.monotonic() - self.queue.oldest()))
                self.cond.wait(wait)
            batch = self.queue.take()
            self.metrics.queue_items.labels(self.signal).set(self.queue.items)
            return batch

    def token(self, batch: list[Entry]) -> str:
        # unique, so identical data sent twice is stored twice
        return uuid.uuid4().hex

    def begin(self, batch: list[Entry], token: str) -> None:
        pass

    def finish(self, batch: list[Entry], error: BaseException | None) -> None:
        for entry in batch:
            self.budget.give(len(entry.payload.body))
            future, loop = entry.ref
            loop.call_soon_threadsafe(_settle, future, error)
        self.metrics.queue_bytes.labels(self.signal).set(self.budget.used)

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify()


class _Budget:
    """Queued bytes across all signals, shared by the memory sources."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self.lock:
            if self.used + n > self.limit and self.used > 0:
                return False
            self.used += n
            return True

    def give(self, n: int) -> None:
        with self.lock:
            self.used -= n


class SignalWriter:
    """The thread that takes one signal's batches from a source and stores them."""

    def __init__(
        self, signal: Signal, source: Source, sink: Sink, cfg: PipelineSettings, metrics: CollectorMetrics
    ) -> None:
        self.signal = signal
        self.source = source
        self.sink = sink
        self.cfg = cfg
        self.metrics = metrics
        self.store_down = False
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name=f"writer-{signal}", daemon=True)

    def _run(self) -> None:
        while (batch := self.source.next_batch()) is not None:
            self._write(batch)

    def _write(self, batch: list[Entry]) -> None:
        """Store a batch, retrying while the store is unavailable, then tell the source."""
        token = self.source.token(batch)
        self.source.begin(batch, token)
        delay = 0.1
        deadline: float | None = None
        while True:
            try:
                self._store(batch, token)
                self.store_down = False
                self.source.finish(batch, None)
                return
            except StoreRejected as exc:
                self._split_rejected(batch, exc)
                return
            except StoreError as exc:
                self.metrics.insert_errors.labels(self.signal, "unavailable").inc()
                if not self.store_down:
                    log.warning("insert failed; retrying", extra={"signal": str(self.signal), "error": str(exc)})
                self.store_down = True
                if self.stopping:
                    deadline = deadline or time.monotonic() + self.cfg.stop_timeout_s
                    if time.monotonic() > deadline:
                        log.error("giving up on a batch at shutdown", extra={"signal": str(self.signal)})
                        self.source.finish(batch, Refused(str(exc), self.cfg.retry_after_s, overloaded=False))
                        return
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 5.0)

    def _store(self, batch: list[Entry], token: str) -> None:
        started = time.perf_counter()
        self.sink([e.payload for e in batch], token)
        items = sum(e.payload.items for e in batch)
        self.metrics.flush_seconds.labels(self.signal).observe(time.perf_counter() - started)
        self.metrics.batch_items.labels(self.signal).observe(items)
        self.metrics.items_stored.labels(self.signal).inc(items)

    def _split_rejected(self, batch: list[Entry], exc: StoreRejected) -> None:
        """Find the payloads storage rejects by writing each alone; never retry a bad one forever."""
        if len(batch) == 1:
            self.metrics.insert_errors.labels(self.signal, "rejected").inc()
            log.error(
                "storage rejected a payload; dropped",
                extra={"signal": str(self.signal), "items": batch[0].payload.items, "error": str(exc)},
            )
            self.source.finish(batch, Rejected(str(exc)))
            return
        for entry in batch:
            self._write([entry])

    def stop(self) -> None:
        self.stopping = True
        self.source.stop()
        self.thread.join()


class Pipeline:
    """Per-signal writers behind one `submit` that returns once the payload is durable."""

    def __init__(self, sink: Sink, cfg: PipelineSettings, metrics: CollectorMetrics, wal: Any = None) -> None:
        self.cfg = cfg
        self.wal = wal
        self.budget = _Budget(cfg.max_queue_bytes)
        if wal is None:
            self.sources: dict[Signal, Any] = {s: MemorySource(s, cfg, self.budget, metrics) for s in Signal}
        else:
            self.sources = {s: wal.source(s) for s in Signal}
        self.writers = {s: SignalWriter(s, self.sources[s], sink, cfg, metrics) for s in Signal}

    def start(self) -> None:
        for writer in self.writers.values():
            writer.thread.start()

    async def submit(self, payload: Payload) -> None:
        """Accept a payload; return once it is durable (logged, or stored); raise Refused or Rejected."""
        if self.store_unavailable() and self.wal is None:
            raise Refused("storage is unavailable; retry later", self.cfg.retry_after_s, overloaded=False)
        if self.wal is not None:
            await self.wal.append(payload, store_down=self.store_unavailable())
            return
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.sources[payload.signal].put(Entry(payload, (future, loop)))
        # shield: a client that disconnects must not cancel the write of data already queued
        await asyncio.shield(future)

    def store_unavailable(self) -> bool:
        return any(w.store_down for w in self.writers.values())

    def idle(self) -> bool:
        """True when everything acknowledged so far is stored."""
        if self.wal is None:
            return True  # a memory-mode acknowledgement already means stored
        return all(self.wal.source(s).caught_up(self.wal.logs[s].synced_end) for s in Signal)

    def stop(self) -> None:
        """Write everything due (blocking), then stop the threads."""
        for writer in self.writers.values():
            writer.stop()
