"""Batch accepted payloads per signal and write them from a thread, so the event loop never waits.

A writer thread per signal takes batches from a source, strictly in order, and stores them through
the sink, retrying with backoff and jitter (the same deduplication token each time) whatever fails:
a writer thread never dies. Payloads storage rejects as invalid are dropped alone. Two sources:
- the write-ahead log (collector/wal): a request is acknowledged once its payload is on disk; the
  writer drains the log, and a checkpointer releases stored batches from it only after syncing the
  store's folder;
- memory (write-ahead log off): a request is acknowledged once its batch is stored; bounded by
  `max_queue_bytes` (429 past it).
At shutdown the writers drain what is due within one grace period (`stop_grace_s`), then leave the
rest: in the log it is replayed at the next start; in memory its requests are refused (503).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from collector.batch import Entry, PipelineSettings, Refused, Rejected, Sink, Source
from collector.memory_source import Budget, MemorySource
from collector.metrics import CollectorMetrics
from collector.otlp.model import Payload, Signal
from collector.priority import lower_this_thread
from storage.errors import StoreError

log = logging.getLogger(__name__)
__all__ = ["Entry", "Pipeline", "PipelineSettings", "Refused", "Rejected", "Sink"]


class Grace:
    """The one shutdown deadline all writers share."""

    def __init__(self) -> None:
        self.deadline: float | None = None

    def start(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def over(self) -> bool:
        return self.remaining() == 0.0


class Health:
    """One background part's health: log a failure once, count every one, say what is wrong."""

    def __init__(self, part: str, metrics: CollectorMetrics) -> None:
        self.part = part
        self.metrics = metrics
        self.problem = ""  # '' when healthy, else what /readyz reports
        self.kind = ""
        metrics.healthy.labels(part).set(1)

    def failed(self, exc: BaseException, what: str) -> None:
        kind = "store" if isinstance(exc, StoreError) else type(exc).__name__
        self.metrics.background_errors.labels(self.part, kind).inc()
        if not self.problem or kind != self.kind:  # once per outage, not once per retry
            level = logging.WARNING if isinstance(exc, StoreError) else logging.ERROR
            log.log(level, f"{what} failed; retrying", extra={"part": self.part, "error": repr(exc)})
        self.problem, self.kind = f"{what} ({self.part}) is failing: {exc}; retrying", kind
        self.metrics.healthy.labels(self.part).set(0)

    def ok(self) -> None:
        if self.problem:
            log.info("recovered", extra={"part": self.part})
        self.problem = ""
        self.metrics.healthy.labels(self.part).set(1)


class SignalWriter:
    """The thread that takes one signal's batches from a source and stores them."""

    def __init__(
        self, signal: Signal, source: Source, sink: Sink, cfg: PipelineSettings, metrics: CollectorMetrics, grace: Grace
    ) -> None:
        self.signal = signal
        self.source = source
        self.sink = sink
        self.cfg = cfg
        self.metrics = metrics
        self.grace = grace
        self.health = Health(str(signal), metrics)
        self.store_down = False
        self.stopping = False
        self.wake = threading.Event()
        self.batch: list[Entry] | None = None  # taken and not yet stored
        self.token = ""
        self.thread = threading.Thread(target=self._run, name=f"writer-{signal}", daemon=True)

    def _run(self) -> None:
        lower_this_thread(self.cfg.background_nice)  # and so the ClickHouse threads its inserts start
        delay = 0.1
        while True:
            if self.stopping and self.grace.over():
                self._give_up()
                return
            try:
                if not self.step():
                    return
                delay = 0.1
            except Exception as exc:  # whatever it is, the data stays and the attempt is repeated
                self.store_down = isinstance(exc, StoreError)
                kind = "unavailable" if self.store_down else "error"
                self.metrics.insert_errors.labels(self.signal, kind).inc()
                self.health.failed(exc, "writing to storage")
                pause = delay * (0.5 + random.random())
                if self.stopping:
                    time.sleep(min(pause, self.grace.remaining()))
                else:
                    self.wake.wait(pause)
                delay = min(delay * 2, 5.0)

    def step(self, block: bool = True) -> bool:
        """Take a batch unless one is held, and make one attempt to store it.

        Return False when there is none (once stopping and drained, or at once when not blocking).
        """
        if self.batch is None:
            batch = self.source.next_batch(block)
            if batch is None:
                return False
            self.batch, self.token = batch, self.source.token(batch)
        self.source.begin(self.batch, self.token)
        rejected = self._store(self.batch, self.token)
        self.store_down = False
        self.health.ok()
        self.source.finish(self.batch, rejected)
        self.batch = None
        return True

    def _store(self, batch: list[Entry], token: str) -> Mapping[int, str]:
        started = time.perf_counter()
        rejected = self.sink([e.payload for e in batch], token) or {}
        for i, why in rejected.items():
            self.metrics.insert_errors.labels(self.signal, "rejected").inc()
            log.error(
                "storage rejected a payload; dropped",
                extra={"signal": str(self.signal), "items": batch[i].payload.items, "error": why},
            )
        items = sum(e.payload.items for i, e in enumerate(batch) if i not in rejected)
        self.metrics.flush_seconds.labels(self.signal).observe(time.perf_counter() - started)
        self.metrics.batch_items.labels(self.signal).observe(items)
        self.metrics.items_stored.labels(self.signal).inc(items)
        return rejected

    def _give_up(self) -> None:
        error = Refused("the collector is shutting down; retry later", self.cfg.retry_after_s, overloaded=False)
        log.error("shutdown grace is over; leaving the rest unstored", extra={"signal": str(self.signal)})
        self.source.give_up(self.batch, error)
        self.batch = None

    def stop(self) -> None:
        """Ask the thread to drain and end (see Pipeline.stop)."""
        self.stopping = True
        self.source.stop()
        self.wake.set()


class Checkpointer:
    """About once a second: sync the store's folder, then release the batches stored before the sync."""

    def __init__(
        self, sources: dict[Signal, Any], sync: Callable[[], None], cfg: PipelineSettings, metrics: CollectorMetrics
    ) -> None:
        self.sources = sources
        self.sync = sync
        self.interval = cfg.checkpoint_interval_s
        self.nice = cfg.background_nice
        self.metrics = metrics
        self.health = Health("checkpoint", metrics)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def _run(self) -> None:
        lower_this_thread(self.nice)
        while not self.stopped.wait(self.interval):
            self.safely()

    def checkpoint(self) -> None:
        """Release every batch stored before this call, once the store has synced it to disk."""
        counts = {signal: source.releasable() for signal, source in self.sources.items()}
        if not any(counts.values()):
            return
        started = time.perf_counter()
        self.sync()
        self.metrics.store_sync_seconds.observe(time.perf_counter() - started)
        for signal, count in counts.items():
            self.sources[signal].release(count)

    def safely(self) -> None:
        """Checkpoint; a failure is logged, counted and retried at the next tick."""
        try:
            self.checkpoint()
            self.health.ok()
        except Exception as exc:
            self.health.failed(exc, "releasing stored data from the write-ahead log")

    def stop(self) -> None:
        """End the thread after one last checkpoint."""
        self.stopped.set()
        self.thread.join()
        self.safely()


def _no_sync() -> None:
    """Nothing to sync: the sink's own answer is its promise (a server, or a test's stand-in)."""


class Pipeline:
    """Per-signal writers behind one `submit` that returns once the payload is durable."""

    def __init__(
        self,
        sink: Sink,
        cfg: PipelineSettings,
        metrics: CollectorMetrics,
        wal: Any = None,
        sync: Callable[[], None] = _no_sync,
    ) -> None:
        self.cfg = cfg
        self.wal = wal
        self.grace = Grace()
        self.budget = Budget(cfg.max_queue_bytes)
        if wal is None:
            self.sources: dict[Signal, Any] = {s: MemorySource(s, cfg, self.budget, metrics) for s in Signal}
        else:
            self.sources = {s: wal.source(s) for s in Signal}
        self.writers = {s: SignalWriter(s, self.sources[s], sink, cfg, metrics, self.grace) for s in Signal}
        self.checkpointer = Checkpointer(self.sources, sync, cfg, metrics) if wal is not None else None

    def start(self) -> None:
        for writer in self.writers.values():
            writer.thread.start()
        if self.checkpointer is not None:
            self.checkpointer.thread.start()

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

    def problems(self) -> list[str]:
        """What is failing in the background (writers other than storage being down, the checkpoint)."""
        parts = [w.health for w in self.writers.values() if not w.store_down]
        if self.checkpointer is not None:
            parts.append(self.checkpointer.health)
        return [h.problem for h in parts if h.problem]

    def idle(self) -> bool:
        """True when everything acknowledged so far is stored."""
        if self.wal is None:
            return True  # a memory-mode acknowledgement already means stored
        return all(self.wal.source(s).caught_up(self.wal.logs[s].synced_end) for s in Signal)

    def stop(self) -> None:
        """Store what is due within `stop_grace_s` (all writers together), leave the rest, end the threads."""
        self.grace.start(self.cfg.stop_grace_s)
        for writer in self.writers.values():
            writer.stop()
        for writer in self.writers.values():
            writer.thread.join(self.grace.remaining() + 5.0)
            if writer.thread.is_alive():
                # an insert the engine does not interrupt: what it holds is replayed at the next start
                log.error("a writer is still inserting after the shutdown grace", extra={"signal": str(writer.signal)})
        if self.checkpointer is not None:
            self.checkpointer.stop()
