"""The log mapping workers: large bodies map in another process, small ones inline; a dead worker means retry."""

from __future__ import annotations

import os

import pytest

from collector.batch import Refused
from collector.log_mapping import OFF_LOOP_BYTES, LogMapper

LARGE = OFF_LOOP_BYTES + 1


async def test_large_bodies_map_in_a_worker_process_small_ones_inline() -> None:
    mapper = LogMapper(1, retry_after_s=1)
    try:
        assert await mapper.run(LARGE, os.getpid) != os.getpid()
        assert await mapper.run(OFF_LOOP_BYTES, os.getpid) == os.getpid()
    finally:
        mapper.close()


async def test_a_dead_worker_is_a_retryable_refusal_and_the_next_request_gets_a_new_pool() -> None:
    mapper = LogMapper(1, retry_after_s=1)
    try:
        with pytest.raises(Refused) as refused:
            await mapper.run(LARGE, os._exit, 1)
        assert refused.value.retry_after == 1 and not refused.value.overloaded  # 503 + Retry-After
        assert await mapper.run(LARGE, os.getpid) != os.getpid()
    finally:
        mapper.close()


async def test_without_processes_large_bodies_map_in_a_thread() -> None:
    mapper = LogMapper(0, retry_after_s=1)
    assert await mapper.run(LARGE, os.getpid) == os.getpid()
    mapper.close()
