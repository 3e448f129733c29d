"""Map JSON-lines and Loki bodies in worker processes, so the mapping runs beside the event loop.

Mapping a line is Python work (~10 us; an OTLP record costs the collector a fraction of that, since
ClickHouse decodes it), and under the GIL a thread adds no throughput. A small spawned process pool
maps large bodies on another core while the event loop reads requests and appends to the
write-ahead log. Small bodies are mapped inline: the trip to a worker would cost more than the work.
A worker that dies turns into 503s (the client retries) and a fresh pool.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from collector.batch import Refused

log = logging.getLogger(__name__)
# Bodies above this leave the event loop (Python maps ~100 bytes per microsecond).
OFF_LOOP_BYTES = 64 * 1024


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: exit when the collector is gone (a SIGKILLed parent leaves its pool behind otherwise)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class LogMapper:
    """Run pure mapping functions inline, in a worker process (`processes` > 0) or in a thread (0)."""

    def __init__(self, processes: int, retry_after_s: int) -> None:
        self.processes = processes
        self.retry_after_s = retry_after_s
        self._pool: ProcessPoolExecutor | None = None

    async def run(self, size: int, fn: Callable[..., Any], *args: Any) -> Any:
        """Return fn(*args); `fn` and its arguments must pickle when `size` is above OFF_LOOP_BYTES."""
        if size <= OFF_LOOP_BYTES:
            return fn(*args)
        if not self.processes:
            return await asyncio.to_thread(fn, *args)
        pool = self._executor()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            log.warning("a log mapping worker stopped; starting a new pool")
            if self._pool is pool:
                self._pool = None
            raise Refused("the log mapping worker stopped; retry", self.retry_after_s, overloaded=False) from None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),  # fork would copy the engine's threads and locks
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def close(self) -> None:
        """Stop the workers (requests still mapping get cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
