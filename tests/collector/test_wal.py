"""The write-ahead log: record format, torn and corrupt records, replay exactly once on the real engine."""

from __future__ import annotations

import asyncio
import os
import threading
import zlib
from pathlib import Path

import pytest

from collector.app import store_sink
from collector.metrics import CollectorMetrics
from collector.otlp.decode import decode_protobuf
from collector.otlp.model import Payload, Route, Signal
from collector.pipeline import Pipeline, PipelineSettings, Refused
from collector.wal.log import WalUnavailable, WriteAheadLog
from collector.wal.records import Corrupt, decode, encode, parse_header
from collector.wal.segments import SignalLog
from collector.wal.state import State
from storage import Store
from storage.errors import StoreUnavailable
from tests.collector.test_http_errors import span_request

CFG = PipelineSettings(batch_items=1000, batch_age_s=0.02, retry_after_s=3)


def spans_payload(first: int, n: int = 2) -> Payload:
    """A valid traces payload whose spans are named op{first}..; span ids are unique per `first`."""
    req = span_request(n)
    for i, span in enumerate(req.resource_spans[0].scope_spans[0].spans):
        span.name = f"op{first + i}"
        span.span_id = (first + i + 1).to_bytes(8, "big")
    result = decode_protobuf(Signal.TRACES, req.SerializeToString())
    assert result.payload is not None
    return result.payload


def test_record_round_trip_and_checksum() -> None:
    payload = Payload(Signal.LOGS, Route.PYTHON, b"\x01\x02body", 7)
    raw = encode(payload, 123)
    length, crc, meta = parse_header(raw[:26])
    record = decode(length, crc, meta, raw[26:])
    assert record.payload == payload and record.appended_ns == 123 and record.size == len(raw)
    damaged = raw[:-1] + bytes([raw[-1] ^ 1])
    with pytest.raises(Corrupt, match="checksum"):
        decode(length, crc, meta, damaged[26:])
    with pytest.raises(Corrupt, match="magic"):
        parse_header(b"XXXX" + raw[4:26])


@pytest.mark.parametrize("size", [0, 1, 5, 4096, 3_604_647])
def test_a_body_checksummed_ahead_makes_the_same_record(size: int) -> None:
    """The checksum a decode thread computed (collector.receiver.decode_large_body) gives the bytes the
    event loop would have: records written either way replay alike."""
    body = os.urandom(size)
    summed = Payload(Signal.TRACES, Route.FLAT, body, 3, body_crc=zlib.crc32(body))
    assert encode(summed, 99) == encode(Payload(Signal.TRACES, Route.FLAT, body, 3), 99)


def _write(log: SignalLog, *payloads: Payload) -> None:
    for p in payloads:
        log.append(encode(p, 1))
    log.sync()


def test_torn_tail_and_corrupt_middle_are_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = SignalLog(tmp_path, 1 << 20)
    good = [Payload(Signal.TRACES, Route.NATIVE, f"body{i}".encode() * 50, i + 1) for i in range(3)]
    _write(log, *good)
    log.close()
    segment = next(tmp_path.glob("*.wal"))
    data = bytearray(segment.read_bytes())
    data[40] ^= 0xFF  # damage the first record's body
    data += encode(good[0], 1)[:30]  # a torn record, as a crash mid-write leaves it
    segment.write_bytes(bytes(data))

    log = SignalLog(tmp_path, 1 << 20)
    records, end = log.read(log.state.done, log.synced_end, 10_000)
    assert [r.payload for _, r in records] == good[1:]
    assert log.corrupt_records == 2
    assert end == log.start
    messages = [r for r in caplog.records if "corrupt record skipped" in r.getMessage()]
    assert {r.offset for r in messages} == {0, len(data) - 30}
    assert all(r.segment == str(segment) for r in messages)
    log.close()


def test_read_stops_at_the_byte_limit(tmp_path: Path) -> None:
    log = SignalLog(tmp_path, 1 << 20)
    _write(log, *(Payload(Signal.TRACES, Route.NATIVE, bytes(100), 1) for _ in range(5)))
    records, end = log.read(log.state.done, log.synced_end, 10_000, max_bytes=250)
    assert len(records) == 3  # whole records: the one that crosses the limit is the last
    rest, _ = log.read(end, log.synced_end, 10_000, max_bytes=1)
    assert len(rest) == 1
    log.close()


def test_segments_rotate_and_stored_ones_are_deleted(tmp_path: Path) -> None:
    log = SignalLog(tmp_path, 300)
    payloads = [Payload(Signal.TRACES, Route.NATIVE, bytes(200), 1) for _ in range(4)]
    _write(log, *payloads)
    assert len(list(tmp_path.glob("*.wal"))) == 4
    records, end = log.read(log.state.done, log.synced_end, 3)
    log.save_state(State(end))
    assert len(list(tmp_path.glob("*.wal"))) == 2
    assert log.backlog_bytes() == records[0][1].size
    log.close()


def test_folder_is_one_process_only(tmp_path: Path) -> None:
    wal = WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    try:
        with pytest.raises(WalUnavailable, match=f"pid {os.getpid()}"):
            WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    finally:
        wal.close()


def stored_names(store: Store) -> list[str]:
    return sorted(
        r[0] for r in store.call(lambda c: c.query(f"SELECT SpanName FROM {store.database}.otel_traces")).result_rows
    )


async def test_acknowledged_data_survives_an_outage_and_restart(store: Store, tmp_path: Path) -> None:
    """Store down: requests are acknowledged from the log; after a restart they are stored once."""
    down = threading.Event()
    down.set()
    real = store_sink(store)

    def flaky(payloads, token):
        if down.is_set():
            raise StoreUnavailable("cannot reach ClickHouse (injected at the storage boundary)")
        real(payloads, token)

    wal = WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    pipeline = Pipeline(flaky, CFG, CollectorMetrics(), wal)
    pipeline.start()
    for i in range(5):
        await pipeline.submit(spans_payload(10 * i))
    assert wal.backlog_bytes() > 0
    backlog = wal.stats()["traces"]
    assert backlog["records"] == 5 and backlog["bytes"] == wal.backlog_bytes() and backlog["oldest_age_s"] > 0
    pipeline.cfg = PipelineSettings(stop_grace_s=0.2)
    await asyncio.to_thread(pipeline.stop)
    wal.close()
    assert stored_names(store) == []

    wal = WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    pipeline = Pipeline(real, CFG, CollectorMetrics(), wal)
    pipeline.start()
    await asyncio.wait_for(wal.replayed(), 30)
    await asyncio.to_thread(pipeline.stop)
    wal.close()
    assert stored_names(store) == sorted(f"op{10 * i + k}" for i in range(5) for k in range(2))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
async def test_inflight_batch_is_replayed_under_its_token(store: Store, tmp_path: Path) -> None:
    """A crash after the insert but before the checkpoint: the replay stores nothing twice."""
    real = store_sink(store)
    crashed = threading.Event()

    def crash_after_insert(payloads, token):
        real(payloads, token)
        crashed.set()
        raise SystemExit  # the writer thread dies here, as the process would

    wal = WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    pipeline = Pipeline(crash_after_insert, CFG, CollectorMetrics(), wal)
    pipeline.start()
    await pipeline.submit(spans_payload(0, n=3))
    await asyncio.to_thread(crashed.wait, 10)
    assert stored_names(store) == ["op0", "op1", "op2"]
    listed = wal.logs[Signal.TRACES].state.batches
    assert len(listed) == 1
    for signal in (Signal.LOGS, Signal.METRICS):
        await asyncio.to_thread(pipeline.writers[signal].stop)
    wal.close()

    wal = WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    tokens: list[str] = []

    def recording(payloads, token):
        tokens.append(token)
        real(payloads, token)

    pipeline = Pipeline(recording, CFG, CollectorMetrics(), wal)
    pipeline.start()
    await asyncio.wait_for(wal.replayed(), 30)
    await pipeline.submit(spans_payload(100, n=1))
    await asyncio.to_thread(pipeline.stop)
    wal.close()
    assert tokens[0] == listed[0].token
    assert stored_names(store) == ["op0", "op1", "op100", "op2"]


async def test_quota_refuses_with_503_while_store_is_down(tmp_path: Path) -> None:
    def down(payloads, token):
        raise StoreUnavailable("cannot reach ClickHouse (injected at the storage boundary)")

    payload = spans_payload(0)
    wal = WriteAheadLog(str(tmp_path), CFG, 3 * (len(payload.body) + 26), 1 << 20)
    pipeline = Pipeline(down, CFG, CollectorMetrics(), wal)
    pipeline.start()
    for _ in range(3):
        await pipeline.submit(payload)
    for _ in range(50):
        if pipeline.store_unavailable():
            break
        await asyncio.sleep(0.02)
    with pytest.raises(Refused) as err:
        await pipeline.submit(payload)
    assert not err.value.overloaded and "collector.wal_max_bytes" in str(err.value)
    assert err.value.retry_after == 3
    pipeline.cfg = PipelineSettings(stop_grace_s=0.1)
    await asyncio.to_thread(pipeline.stop)
    wal.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_append_on_a_full_disk_keeps_later_records_readable(tmp_path: Path) -> None:
    """A write that fails part-way (ENOSPC on a real tmpfs) leaves a torn record; later ones read back."""
    import subprocess

    folder = tmp_path / "wal"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], check=True)
    try:
        log = SignalLog(folder, 1 << 30)
        before = Payload(Signal.TRACES, Route.NATIVE, b"a" * 1000, 1)
        _write(log, before)
        filler = folder / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k", "count=220"], capture_output=True)
        with pytest.raises(OSError):
            for _ in range(1000):
                log.append(encode(Payload(Signal.TRACES, Route.NATIVE, b"b" * 40_000, 1), 1))
        filler.unlink()
        after = Payload(Signal.TRACES, Route.NATIVE, b"c" * 1000, 2)
        _write(log, after)
        records, _ = log.read(log.state.done, log.synced_end, 1 << 30)
        payloads = [r.payload for _, r in records]
        assert payloads[0] == before and payloads[-1] == after
        assert all(p.body == b"b" * 40_000 for p in payloads[1:-1])
        log.close()
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
