"""The batching pipeline's promises: batches by size or age, bounded memory, retry, no endless retry.

The sinks here are stand-ins for storage that block, fail or refuse on command; the pipeline's
real sink (ClickHouse) is covered by the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from collector.metrics import CollectorMetrics
from collector.otlp.model import Payload, Route, Signal
from collector.pipeline import Pipeline, PipelineSettings, Refused, Rejected
from storage.errors import StoreUnavailable


def payload(items: int = 1, size: int = 10, signal: Signal = Signal.TRACES, tag: bytes = b"") -> Payload:
    return Payload(signal, Route.NATIVE, tag + b"x" * (size - len(tag)), items)


class RecordingSink:
    def __init__(self) -> None:
        self.batches: list[list[Payload]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail_with: list[Exception] = []
        self.tokens: list[str] = []

    def __call__(self, payloads: list[Payload], token: str) -> dict[int, str]:
        self.tokens.append(token)
        self.gate.wait(10)
        if self.fail_with:
            raise self.fail_with.pop(0)
        # as storage.writer.write_payloads does: bad payloads are left out and named, the rest stored
        rejected = {i: "Code: 27. Cannot parse input" for i, p in enumerate(payloads) if p.body.startswith(b"BAD")}
        self.batches.append([p for i, p in enumerate(payloads) if i not in rejected])
        return rejected


def make(sink: RecordingSink, **cfg) -> Pipeline:
    pipeline = Pipeline(sink, PipelineSettings(**{"batch_age_s": 0.05, **cfg}), CollectorMetrics())
    pipeline.start()
    return pipeline


async def test_concurrent_requests_share_a_batch() -> None:
    sink = RecordingSink()
    pipeline = make(sink, batch_age_s=0.3)
    await asyncio.gather(*(pipeline.submit(payload(items=10)) for _ in range(20)))
    pipeline.stop()
    assert sum(len(b) for b in sink.batches) == 20
    assert len(sink.batches) <= 2


async def test_batch_flushes_at_size_before_age() -> None:
    sink = RecordingSink()
    pipeline = make(sink, batch_items=100, batch_age_s=30)
    await asyncio.wait_for(asyncio.gather(*(pipeline.submit(payload(items=50)) for _ in range(4))), 5)
    pipeline.stop()
    assert [sum(p.items for p in b) for b in sink.batches] == [100, 100]


async def test_batch_flushes_at_bytes_before_items() -> None:
    """Engine memory per insert grows with its bytes: large items make smaller batches."""
    sink = RecordingSink()
    pipeline = make(sink, batch_items=10_000, batch_bytes=200, batch_age_s=30)
    await asyncio.wait_for(asyncio.gather(*(pipeline.submit(payload(items=5, size=100)) for _ in range(6))), 5)
    pipeline.stop()
    assert [sum(len(p.body) for p in b) for b in sink.batches] == [200, 200, 200]


async def test_full_queue_refuses_with_429_semantics() -> None:
    sink = RecordingSink()
    sink.gate.clear()  # storage is slow: nothing finishes
    pipeline = make(sink, max_queue_bytes=100, retry_after_s=7)
    first = asyncio.ensure_future(pipeline.submit(payload(size=80)))
    await asyncio.sleep(0.01)
    with pytest.raises(Refused) as err:
        await pipeline.submit(payload(size=80))
    assert err.value.overloaded and err.value.retry_after == 7
    assert "collector.max_queue_bytes" in str(err.value)
    sink.gate.set()
    await asyncio.wait_for(first, 5)
    await asyncio.wait_for(pipeline.submit(payload(size=80)), 5)  # room again once written
    pipeline.stop()
    assert len(sink.batches) == 2


async def test_store_outage_retries_queued_and_refuses_new_until_recovered() -> None:
    sink = RecordingSink()
    sink.fail_with = [StoreUnavailable("cannot reach ClickHouse")] * 3
    pipeline = make(sink)
    first = asyncio.ensure_future(pipeline.submit(payload(tag=b"A")))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if pipeline.store_unavailable():
            break
    assert pipeline.store_unavailable()
    with pytest.raises(Refused) as err:
        await pipeline.submit(payload())
    assert not err.value.overloaded  # 503, not 429
    await asyncio.wait_for(first, 10)
    assert not pipeline.store_unavailable()
    pipeline.stop()
    assert [p.body[:1] for b in sink.batches for p in b] == [b"A"]
    # every retry of the batch carried the same deduplication token
    assert len(sink.tokens) == 4 and len(set(sink.tokens)) == 1


async def test_rejected_payload_is_dropped_alone() -> None:
    sink = RecordingSink()
    pipeline = make(sink, batch_age_s=0.2)
    good = [asyncio.ensure_future(pipeline.submit(payload(tag=b"OK"))) for _ in range(3)]
    bad = asyncio.ensure_future(pipeline.submit(payload(tag=b"BAD")))
    await asyncio.wait_for(asyncio.gather(*good), 5)
    with pytest.raises(Rejected, match="Cannot parse input"):
        await asyncio.wait_for(bad, 5)
    pipeline.stop()
    assert sorted(p.body[:2] for b in sink.batches for p in b) == [b"OK"] * 3


async def test_stop_flushes_everything_queued() -> None:
    sink = RecordingSink()
    pipeline = make(sink, batch_age_s=60)
    waiting = [asyncio.ensure_future(pipeline.submit(payload(signal=s))) for s in Signal]
    await asyncio.sleep(0.05)
    await asyncio.to_thread(pipeline.stop)
    await asyncio.wait_for(asyncio.gather(*waiting), 5)
    assert sorted(p.signal for b in sink.batches for p in b) == sorted(Signal)
