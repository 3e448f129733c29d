"""A cap on request-body bytes held at once across all connections, taken before bytes are read."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from collector.pipeline import Refused


@dataclass
class ByteBudget:
    """Bytes of request bodies (as sent and decompressed) the receivers may hold at once.

    Thread-safe: decompression threads take from it as they produce output.
    """

    limit: int
    retry_after_s: int = 5
    held: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def try_take(self, n: int) -> bool:
        """Take `n` bytes if they fit under the limit; return whether they were taken."""
        with self._lock:
            if self.held + n > self.limit:
                return False
            self.held += n
            return True

    def release(self, n: int) -> None:
        with self._lock:
            self.held -= n

    def refused(self) -> Refused:
        return Refused(
            f"more than collector.max_inflight_body_bytes ({self.limit}) of request bodies held at once; retry later",
            self.retry_after_s,
            overloaded=True,
        )

    def reserve(self, n: int) -> Reservation:
        """Admit a request holding up to `n` bytes, or raise Refused (429 / RESOURCE_EXHAUSTED)."""
        if not self.try_take(n):
            raise self.refused()
        return Reservation(self, n)


@dataclass
class Reservation:
    """One request's share of the budget; grows with decompression, shrinks to what is read."""

    budget: ByteBudget
    taken: int

    def take(self, n: int) -> None:
        """Take `n` more bytes, or raise Refused."""
        if not self.budget.try_take(n):
            raise self.budget.refused()
        self.taken += n

    def resize(self, n: int) -> None:
        """Hold `n` bytes instead of what was reserved (once the real size is known)."""
        if n < self.taken:
            self.budget.release(self.taken - n)
            self.taken = n
        elif n > self.taken:
            self.take(n - self.taken)

    def close(self) -> None:
        self.budget.release(self.taken)
        self.taken = 0

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
