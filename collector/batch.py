"""What the pipeline's stages agree on: settings, entries, sources, the sink, and their errors."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from collector.otlp.model import Payload

Sink = Callable[[list[Payload], str], Mapping[int, str] | None]
"""Stores a batch under a deduplication token; returns only once every row is stored.

Returns the payloads storage rejected as invalid (index -> why; None: none), which are dropped alone: the rest
of the batch is stored. Raises StoreError (retry) or anything else (also retried). Retrying with the
same token stores nothing twice, so an insert that succeeded but whose answer was lost is safe to
repeat."""


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
    stop_grace_s: float = 20.0  # all writers together, at shutdown
    checkpoint_interval_s: float = 1.0  # store sync, then release stored batches from the log
    background_nice: int = 0  # the writer and checkpoint threads' nice (collector/priority.py)


@dataclass(slots=True)
class Entry:
    """A payload on its way to storage, with what its source needs to settle it."""

    payload: Payload
    ref: Any = None  # the source's handle: a future (memory) or log positions (write-ahead log)
    appended: float = field(default_factory=time.monotonic)


class Source(Protocol):
    """Where a writer takes batches from, and whom it tells how each batch ended."""

    def next_batch(self, block: bool = True) -> list[Entry] | None:
        """Return the next batch in order; None once stopping and drained (or, not blocking, when none is)."""

    def token(self, batch: list[Entry]) -> str:
        """The batch's deduplication token (the same for every attempt and replay of the batch)."""

    def begin(self, batch: list[Entry], token: str) -> None:
        """Called before each insert attempt (idempotent)."""

    def finish(self, batch: list[Entry], rejected: Mapping[int, str]) -> None:
        """The batch is stored, but for the entries storage rejected (index -> why), which are dropped."""

    def give_up(self, batch: list[Entry] | None, error: Refused) -> None:
        """Shutdown grace is over: leave `batch` and everything queued unstored."""

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
        """When the oldest entry was appended (time.monotonic)."""
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
