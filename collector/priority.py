"""The event loop first: the threads doing bulk work run at a lower CPU priority (Linux nice).

Linux gives each thread its own nice value, and a thread starts with its creator's. On a busy machine
the event loop's thread, woken by a request, otherwise queues for a core behind ClickHouse's insert
and merge threads and grpc's socket readers (docs/performance.md, "Issue 9 over gRPC"). Lowered: the
threads Python did not start (the embedded ClickHouse's, grpc's C core's), found by a sweep since
both start more as they need them, and the storage writers, which lower themselves (the ClickHouse
threads an insert starts inherit that). The event loop and the Python threads it waits on (decode,
decompression, grpc's poller) keep theirs: a thread holding the GIL at a low priority would be
preempted while the loop waits for the GIL.

The loop also asks for the GIL sooner: CPython's switch interval (5 ms by default) is how long a
thread waiting for the GIL waits before it asks the holder to drop it, and the loop waits at each of
the few GIL-releasing calls a request takes while the decode thread holds it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)
TASKS = "/proc/self/task"
SWEEP_INTERVAL_S = 0.5
GIL_SWITCH_INTERVAL_S = 0.001


def supported() -> bool:
    return sys.platform.startswith("linux")


def lower_this_thread(nice: int) -> None:
    """Set the calling thread's nice to `nice` unless it is already that low (nothing at 0, or off Linux)."""
    if nice > 0 and supported():
        _lower(threading.get_native_id(), nice)


def _lower(tid: int, nice: int) -> bool:
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) >= nice:
            return False
        os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError:  # the thread ended meanwhile
        return False
    return True


def lower_native_threads(nice: int) -> int:
    """Lower every thread of this process that Python did not start to `nice`; return how many changed."""
    python = {t.native_id for t in threading.enumerate()}
    return sum(_lower(int(tid), nice) for tid in os.listdir(TASKS) if int(tid) not in python)


class Renicer:
    """Lowers the threads Python did not start at once, then every `interval_s` (0: does nothing)."""

    def __init__(self, nice: int, interval_s: float = SWEEP_INTERVAL_S) -> None:
        self.nice = nice
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="renice", daemon=True)

    def start(self) -> None:
        if self.nice > 0 and supported():
            self._thread.start()

    def _run(self) -> None:
        lower_this_thread(self.nice)
        failed = False
        while True:
            try:
                lower_native_threads(self.nice)
                failed = False
            except Exception as exc:  # never dies: /proc unreadable now may be readable at the next sweep
                if not failed:
                    log.warning("could not lower the background threads' priority", extra={"error": repr(exc)})
                failed = True
            if self._stop.wait(self.interval_s):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def favour_event_loop(nice: int) -> Renicer:
    """Make this process's event loop first for the GIL and, unless `nice` is 0, for the cores."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    renicer = Renicer(nice)
    renicer.start()
    return renicer
