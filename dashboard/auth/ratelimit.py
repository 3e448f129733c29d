"""Failed-login counting per key (a user name, an address) over a sliding window, in bounded memory."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_KEYS = 10_000


class FailureLimiter:
    """Refuse a key once it has `limit` failures within `window_s`; the oldest keys are forgotten first."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        return times

    def retry_after(self, key: str) -> float:
        """Return seconds until the key may try again; 0 when it may now."""
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        return max(times[0] + self.window_s - self.clock(), 0.001)

    def fail(self, key: str) -> None:
        """Count one failure of a key."""
        times = self._recent(key)
        if key not in self._failures:
            self._failures[key] = times = deque(maxlen=self.limit)
            if len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)
        times.append(self.clock())
        self._failures.move_to_end(key)

    def clear(self, key: str) -> None:
        """Forget a key's failures (after a successful login)."""
        self._failures.pop(key, None)
