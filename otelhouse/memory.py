"""glibc malloc settings for a long-running collector: fewer arenas, so freed request buffers get reused.

By default glibc gives threads up to 8 arenas per core, and each keeps what was freed in it: request
bodies of a few hundred KiB handled on the event loop, gRPC's threads and the writers pile up as
retained heap in each. Two arenas took 70-130 MiB off the collector's peak RSS at the same throughput;
a fixed 128 KiB mmap threshold on top saved 10-50 MiB more but cost 7-11% throughput (mapping and
unmapping every request body), so it is not set (docs/performance.md). `MALLOC_ARENA_MAX` in the
environment, which glibc reads itself, wins.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h
ARENAS = 2


def tune_malloc() -> bool:
    """Limit glibc to ARENAS arenas unless MALLOC_ARENA_MAX is set; return whether it was applied.

    Call before starting threads: the limit does not remove arenas already made. Does nothing where
    the C library has no mallopt (not glibc).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return mallopt(M_ARENA_MAX, ARENAS) == 1
