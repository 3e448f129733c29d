"""glibc malloc settings for a long-running collector: give request buffers back to the system promptly.

By default glibc keeps an arena per thread (up to 8 per core) and raises its mmap threshold as large
blocks are freed, so request bodies of a few hundred KiB, decoded on the event loop, gRPC's and the
writers' threads, pile up as retained heap in each arena. Two arenas and a fixed 128 KiB threshold
(large blocks mapped on their own and unmapped when freed) took 90-180 MiB off the collector's peak
RSS at the same throughput (docs/performance.md). The environment variables glibc reads itself
(`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`) win when set.
"""

from __future__ import annotations

import ctypes
import os

# mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
SETTINGS = {"MALLOC_ARENA_MAX": (M_ARENA_MAX, 2), "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, 128 * 1024)}


def tune_malloc() -> list[str]:
    """Apply the settings not already given in the environment; return the ones applied.

    Call before starting threads: an arena limit does not remove arenas already made. Does nothing
    where the C library has no mallopt (not glibc).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return []
    applied = []
    for variable, (param, value) in SETTINGS.items():
        if variable not in os.environ and mallopt(param, value) == 1:
            applied.append(variable)
    return applied
