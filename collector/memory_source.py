"""The write-ahead log turned off: payloads wait in memory and each request waits until stored."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Mapping

from collector.batch import Entry, Pending, PipelineSettings, Refused, Rejected
from collector.metrics import CollectorMetrics
from collector.otlp.model import Signal


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class Budget:
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


class MemorySource:
    """An in-memory queue of one signal's payloads; each request waits until its batch is stored."""

    def __init__(self, signal: Signal, cfg: PipelineSettings, budget: Budget, metrics: CollectorMetrics) -> None:
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

    def next_batch(self, block: bool = True) -> list[Entry] | None:
        with self.cond:
            while not self._due():
                if not block and self.queue:
                    break
                if (self.stopping or not block) and not self.queue:
                    return None
                wait = None
                if self.queue:
                    wait = max(0.0, self.cfg.batch_age_s - (time.monotonic() - self.queue.oldest()))
                self.cond.wait(wait)
            batch = self.queue.take()
            self.metrics.queue_items.labels(self.signal).set(self.queue.items)
            return batch

    def token(self, batch: list[Entry]) -> str:
        # unique, so identical data sent twice is stored twice (the writer keeps it across retries)
        return uuid.uuid4().hex

    def begin(self, batch: list[Entry], token: str) -> None:
        pass

    def finish(self, batch: list[Entry], rejected: Mapping[int, str]) -> None:
        for i, entry in enumerate(batch):
            error = Rejected(rejected[i]) if i in rejected else None
            self._settle(entry, error)
        self.metrics.queue_bytes.labels(self.signal).set(self.budget.used)

    def give_up(self, batch: list[Entry] | None, error: Refused) -> None:
        with self.cond:
            queued = list(self.queue.entries)
            self.queue = Pending(self.cfg)
        for entry in [*(batch or []), *queued]:
            self._settle(entry, error)

    def _settle(self, entry: Entry, error: BaseException | None) -> None:
        self.budget.give(len(entry.payload.body))
        future, loop = entry.ref
        loop.call_soon_threadsafe(_settle, future, error)

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify()
