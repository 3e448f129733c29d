"""Batch accepted payloads per signal and write them from a thread, so the event loop never waits.

A request's payload is queued with a future; a writer thread per signal flushes when the batch has
`batch_items` items or its oldest payload is `batch_age_ms` old, and resolves the futures once the
sink has stored the batch. Memory is bounded: past `max_queue_bytes` new payloads are refused (429),
and while the store is unreachable new payloads are refused (503) while queued ones keep retrying.
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
from dataclasses import dataclass

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
    batch_items: int = 50_000
    batch_age_s: float = 0.2
    max_queue_bytes: int = 256 * 1024 * 1024
    retry_after_s: int = 5
    stop_timeout_s: float = 15.0


@dataclass
class _Pending:
    payload: Payload
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    enqueued: float


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class _Budget:
    """Queued bytes across all signals, shared by the writers."""

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
    """One signal's queue and the thread that writes it."""

    def __init__(
        self, signal: Signal, sink: Sink, cfg: PipelineSettings, budget: _Budget, metrics: CollectorMetrics
    ) -> None:
        self.signal = signal
        self.sink = sink
        self.cfg = cfg
        self.budget = budget
        self.metrics = metrics
        self.queue: deque[_Pending] = deque()
        self.items = 0
        self.cond = threading.Condition()
        self.stopping = False
        self.store_down = False
        self.thread = threading.Thread(target=self._run, name=f"writer-{signal}", daemon=True)

    def put(self, pending: _Pending) -> None:
        """Queue a payload, or raise Refused when saturated or the store is down."""
        if self.store_down:
            raise Refused("storage is unavailable; retry later", self.cfg.retry_after_s, overloaded=False)
        if self.stopping:
            raise Refused("the collector is shutting down; retry later", self.cfg.retry_after_s, overloaded=False)
        size = len(pending.payload.body)
        if not self.budget.take(size):
            raise Refused(
                "the collector's write queue is full (collector.max_queue_bytes); retry later",
                self.cfg.retry_after_s,
                overloaded=True,
            )
        with self.cond:
            self.queue.append(pending)
            self.items += pending.payload.items
            self._gauge()
            if self.items >= self.cfg.batch_items:
                self.cond.notify()
            elif len(self.queue) == 1:
                self.cond.notify()  # starts the age clock

    def _gauge(self) -> None:
        self.metrics.queue_items.labels(self.signal).set(self.items)

    def _due(self) -> bool:
        if not self.queue:
            return False
        if self.stopping or self.items >= self.cfg.batch_items:
            return True
        return time.monotonic() - self.queue[0].enqueued >= self.cfg.batch_age_s

    def _take(self) -> list[_Pending]:
        batch: list[_Pending] = []
        items = 0
        while self.queue and (not batch or items + self.queue[0].payload.items <= self.cfg.batch_items):
            pending = self.queue.popleft()
            batch.append(pending)
            items += pending.payload.items
        self.items -= items
        self._gauge()
        return batch

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self._due():
                    if self.stopping and not self.queue:
                        return
                    wait = None
                    if self.queue:
                        wait = max(0.0, self.cfg.batch_age_s - (time.monotonic() - self.queue[0].enqueued))
                    self.cond.wait(wait)
                batch = self._take()
            self._write(batch)

    def _write(self, batch: list[_Pending]) -> None:
        """Store a batch, retrying while the store is unavailable; settle every future."""
        # one token per batch, kept across retries; unique, so identical data sent twice is stored twice
        token = uuid.uuid4().hex
        delay = 0.1
        deadline: float | None = None
        while True:
            try:
                self._store(batch, token)
                self.store_down = False
                self._settle_all(batch, None)
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
                        self._settle_all(batch, Refused(str(exc), self.cfg.retry_after_s, overloaded=False))
                        return
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 5.0)

    def _store(self, batch: list[_Pending], token: str) -> None:
        started = time.perf_counter()
        self.sink([p.payload for p in batch], token)
        self.metrics.flush_seconds.labels(self.signal).observe(time.perf_counter() - started)
        self.metrics.batch_items.labels(self.signal).observe(sum(p.payload.items for p in batch))

    def _split_rejected(self, batch: list[_Pending], exc: StoreRejected) -> None:
        """Find the payloads storage rejects by writing each alone; never retry a bad one forever."""
        if len(batch) == 1:
            self.metrics.insert_errors.labels(self.signal, "rejected").inc()
            log.error(
                "storage rejected a payload; dropped",
                extra={"signal": str(self.signal), "items": batch[0].payload.items, "error": str(exc)},
            )
            self._settle_all(batch, Rejected(str(exc)))
            return
        for pending in batch:
            self._write([pending])

    def _settle_all(self, batch: list[_Pending], error: BaseException | None) -> None:
        for p in batch:
            self.budget.give(len(p.payload.body))
            p.loop.call_soon_threadsafe(_settle, p.future, error)
        self.metrics.queue_bytes.labels(self.signal).set(self.budget.used)

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify()
        self.thread.join()


class Pipeline:
    """Per-signal writers behind one `submit` that returns once the payload is stored."""

    def __init__(self, sink: Sink, cfg: PipelineSettings, metrics: CollectorMetrics) -> None:
        budget = _Budget(cfg.max_queue_bytes)
        self.writers = {s: SignalWriter(s, sink, cfg, budget, metrics) for s in Signal}
        self.budget = budget

    def start(self) -> None:
        for writer in self.writers.values():
            writer.thread.start()

    async def submit(self, payload: Payload) -> None:
        """Queue a payload and wait until it is stored; raise Refused or Rejected otherwise."""
        loop = asyncio.get_running_loop()
        pending = _Pending(payload, loop.create_future(), loop, time.monotonic())
        self.writers[payload.signal].put(pending)
        # shield: a client that disconnects must not cancel the write of data already queued
        await asyncio.shield(pending.future)

    def store_unavailable(self) -> bool:
        return any(w.store_down for w in self.writers.values())

    def stop(self) -> None:
        """Flush everything queued (blocking), then stop the threads."""
        for writer in self.writers.values():
            writer.stop()
