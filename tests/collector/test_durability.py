"""Durability, round 2: one test per finding of issue 17, on the real log and the real engine.

Where a fault cannot be produced for real here (a failing fsync, an error from the driver's temp
file, a power cut's lost page cache), it is injected at that one call, as each test's docstring says.
"""

from __future__ import annotations

import asyncio
import errno
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

import storage.store
from collector.app import store_sink
from collector.metrics import CollectorMetrics
from collector.otlp.model import Payload, Route, Signal
from collector.pipeline import Pipeline, PipelineSettings, Refused
from collector.wal.log import WriteAheadLog
from collector.wal.records import encode
from collector.wal.segments import SignalLog
from storage import Store
from storage.errors import StoreUnavailable
from storage.schema import TABLES
from storage.tables import engine_full, table_settings
from tests.collector.test_wal import spans_payload, stored_names

CFG = PipelineSettings(batch_items=1000, batch_age_s=0.02, retry_after_s=3, checkpoint_interval_s=0.05)


def start(folder: Path, sink, cfg: PipelineSettings = CFG, sync=lambda: None) -> tuple[WriteAheadLog, Pipeline]:
    wal = WriteAheadLog(str(folder), cfg, 1 << 30, 1 << 20)
    pipeline = Pipeline(sink, cfg, CollectorMetrics(), wal, sync)
    pipeline.start()
    return wal, pipeline


async def stop(wal: WriteAheadLog, pipeline: Pipeline) -> None:
    await asyncio.to_thread(pipeline.stop)
    wal.close()


def down(payloads, token):
    raise StoreUnavailable("cannot reach ClickHouse (injected at the storage boundary)")


async def until(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def names(*firsts: int, n: int = 2) -> list[str]:
    return sorted(f"op{f + k}" for f in firsts for k in range(n))


# --- 1. shutdown while the store is down ---------------------------------------------------


async def test_batches_left_at_shutdown_are_all_replayed(store: Store, tmp_path: Path) -> None:
    """Store down at shutdown with four batches waiting: stop within the grace, lose none at restart."""
    cfg = replace(CFG, batch_items=2, stop_grace_s=0.5)
    wal, pipeline = start(tmp_path, down, cfg)
    for i in range(4):
        await pipeline.submit(spans_payload(10 * i))  # two spans each: one batch each
    await until(pipeline.store_unavailable)
    started = time.monotonic()
    await stop(wal, pipeline)
    assert time.monotonic() - started < 5, "shutdown must take one grace period, not one per batch"

    wal, pipeline = start(tmp_path, store_sink(store), cfg)
    await asyncio.wait_for(wal.replayed(), 60)
    await stop(wal, pipeline)
    assert stored_names(store) == names(0, 10, 20, 30)


# --- 2. power loss: release only after a store sync; state files durable --------------------


async def test_records_are_released_only_after_the_store_folder_is_synced(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every batch whose records leave the log was stored, then the store's folder synced (syncfs)."""
    events: list[tuple] = []
    synced_paths: list[str] = []
    real_syncfs = storage.store.syncfs

    def recording_syncfs(path: str) -> None:
        synced_paths.append(path)
        real_syncfs(path)

    monkeypatch.setattr(storage.store, "syncfs", recording_syncfs)
    real = store_sink(store)

    def sink(payloads, token):
        rejected = real(payloads, token)
        events.append(("stored", token))
        return rejected

    def sync():
        store.sync()
        events.append(("synced",))

    wal, pipeline = start(tmp_path, sink, sync=sync)
    log = wal.logs[Signal.TRACES]
    real_save = log.save_state

    def save_state(state):
        real_save(state)
        events.append(("saved", state.done, {b.token for b in state.batches}))

    log.save_state = save_state
    for i in range(6):
        await pipeline.submit(spans_payload(10 * i))
        await asyncio.sleep(0.03)
    await until(lambda: log.state.done == log.synced_end and not log.state.batches)
    await stop(wal, pipeline)

    assert stored_names(store) == names(*(10 * i for i in range(6)))
    assert synced_paths and set(synced_paths) == {store.target.path}
    listed: set[str] = set()
    released = 0
    for i, event in enumerate(events):
        if event[0] != "saved":
            continue
        for token in listed - event[2]:  # released by this save
            stored_at = events.index(("stored", token))
            assert ("synced",) in events[stored_at:i], f"{token} released before a sync"
            released += 1
        listed = event[2]
    assert released >= 1


def test_state_and_id_files_are_written_atomically_and_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each state file: fsync of the temporary file, rename over the old one, fsync of the folder."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def rename(src, dst) -> None:
        events.append(("rename", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", rename)
    wal = WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    wal.close()
    for path in [tmp_path / "id", tmp_path / "traces" / "state.json"]:
        renamed = events.index(("rename", str(path)))
        assert ("fsync", f"{path}.tmp") in events[:renamed]
        assert ("fsync", str(path.parent)) in events[renamed:]


async def test_a_torn_state_file_replays_everything_left(store: Store, tmp_path: Path) -> None:
    """An empty state.json (a power cut before this version fsynced it) is not a start-up crash."""
    wal, pipeline = start(tmp_path, down, replace(CFG, stop_grace_s=0.1))
    await pipeline.submit(spans_payload(0))
    await stop(wal, pipeline)
    (tmp_path / "traces" / "state.json").write_bytes(b"")
    wal, pipeline = start(tmp_path, store_sink(store))
    await asyncio.wait_for(wal.replayed(), 60)
    await stop(wal, pipeline)
    assert stored_names(store) == names(0)


# --- 3. the engine kept a token but lost its rows --------------------------------------------


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
async def test_after_a_reboot_listed_batches_are_inserted_under_fresh_tokens(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut can keep the engine's token and lose its rows: after a reboot, replay inserts anew.

    The lost page cache is played by deleting the rows (the deduplication log keeps the token), and
    the reboot by another kernel boot id.
    """
    real = store_sink(store)
    crashed = threading.Event()

    def crash_after_insert(payloads, token):
        real(payloads, token)
        crashed.set()
        raise SystemExit  # the process dies before the batch is released

    wal, pipeline = start(tmp_path, crash_after_insert)
    await pipeline.submit(spans_payload(0, n=3))
    await asyncio.to_thread(crashed.wait, 20)
    for signal in (Signal.LOGS, Signal.METRICS):
        pipeline.writers[signal].stop()
    pipeline.checkpointer.stopped.set()
    wal.close()
    [listed] = wal.logs[Signal.TRACES].state.batches
    store.call(lambda c: c.command(f"DELETE FROM {store.database}.otel_traces WHERE 1"))
    real([spans_payload(0, n=3)], listed.token)
    assert stored_names(store) == [], "premise: the engine skips a token it remembers"

    monkeypatch.setattr("collector.wal.source.boot_id", lambda: "another-boot-0000")
    tokens: list[str] = []

    def recording(payloads, token):
        tokens.append(token)
        return real(payloads, token)

    wal, pipeline = start(tmp_path, recording)
    await asyncio.wait_for(wal.replayed(), 60)
    await stop(wal, pipeline)
    assert tokens[0] != listed.token
    assert stored_names(store) == ["op0", "op1", "op2"]


# --- 4. the writer survives every error -------------------------------------------------------


async def test_writer_survives_any_error_and_says_so(store: Store, tmp_path: Path) -> None:
    """ENOSPC writing the checkpoint, an OSError from the driver, a bug: logged, counted, retried.

    The faults are injected at the checkpoint write and at the sink.
    """
    real = store_sink(store)
    faults = [OSError(errno.EIO, "temp file gone"), RuntimeError("a bug")]
    seen: list[list[str]] = []

    def flaky(payloads, token):
        if faults:
            raise faults.pop(0)
        seen.append(pipeline.problems())
        return real(payloads, token)

    wal = WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    metrics = CollectorMetrics()
    pipeline = Pipeline(flaky, CFG, metrics, wal)
    log = wal.logs[Signal.TRACES]
    real_save, full = log.save_state, [OSError(errno.ENOSPC, "No space left on device")]

    def save_state(state):
        if full:
            raise full.pop(0)
        real_save(state)

    log.save_state = save_state
    pipeline.start()
    await pipeline.submit(spans_payload(0))
    await until(pipeline.idle)
    assert seen and "a bug" in seen[0][0] and "traces" in seen[0][0]
    assert pipeline.problems() == []
    value = metrics.registry.get_sample_value
    assert value("otelhouse_collector_background_errors_total", {"part": "traces", "kind": "OSError"}) == 2
    assert value("otelhouse_collector_background_errors_total", {"part": "traces", "kind": "RuntimeError"}) == 1
    assert value("otelhouse_collector_healthy", {"part": "traces"}) == 1
    await stop(wal, pipeline)
    assert stored_names(store) == names(0)


async def test_start_up_replay_survives_errors(store: Store, tmp_path: Path) -> None:
    """The replay that runs before the collector listens goes on after an error (injected at the sink)."""
    wal, pipeline = start(tmp_path, down, replace(CFG, stop_grace_s=0.1))
    await pipeline.submit(spans_payload(0))
    await stop(wal, pipeline)
    real, faults = store_sink(store), [OSError(errno.ENOENT, "temp file vanished")] * 2

    def flaky(payloads, token):
        if faults:
            raise faults.pop()
        return real(payloads, token)

    wal, pipeline = start(tmp_path, flaky)
    await asyncio.wait_for(wal.replayed(), 60)
    await stop(wal, pipeline)
    assert stored_names(store) == names(0)


# --- 5. a batch rejected in part ---------------------------------------------------------------


def test_rejection_splits_only_the_failing_insert(store: Store) -> None:
    """Three inserts in a batch, the second rejected: the first is not written again, and a replay adds nothing."""
    good = spans_payload(0, n=3)
    bad = Payload(Signal.TRACES, Route.FLAT, b"\xff\xff\xff not protobuf", 1)
    flat = replace(spans_payload(100, n=1), route=Route.FLAT)
    batch = [replace(good, route=Route.NATIVE), bad, flat]
    sink = store_sink(store)
    assert set(sink(batch, "wal:traces:1.0-1.99")) == {1}
    assert set(sink(batch, "wal:traces:1.0-1.99")) == {1}  # a replay of the same batch
    rows = store.call(lambda c: c.query(f"SELECT SpanName, count() FROM {store.database}.otel_traces GROUP BY 1"))
    assert sorted(rows.result_rows) == [("op0", 1), ("op1", 1), ("op100", 1), ("op2", 1)]


# --- 6. deduplication through the views ----------------------------------------------------------


@pytest.mark.parametrize("route", [Route.NATIVE, Route.PYTHON])
def test_replay_dedups_through_views_whatever_the_server_default(store: Store, route: Route) -> None:
    """With deduplicate_blocks_in_dependent_materialized_views off by default, a replay stores nothing twice."""
    client = store.client()
    client.set_client_setting("deduplicate_blocks_in_dependent_materialized_views", "0")
    payload = replace(spans_payload(0, n=3), route=route)
    sink = store_sink(store)  # on this thread, so through the client set above
    for _ in range(2):
        sink([payload], "tok-1")
    assert stored_names(store) == ["op0", "op1", "op2"]
    ids = store.call(lambda c: c.query(f"SELECT count() FROM {store.database}.otel_traces_trace_id_ts"))
    assert ids.result_rows[0][0] == 1


# --- 7. the deduplication window ------------------------------------------------------------------


def test_dedup_window_follows_the_settings(store: Store) -> None:
    """Every table remembers clickhouse.dedup_window tokens; a server's tables fsync their parts."""
    opts = replace(store.opts, dedup_window=54_321, fsync_parts=True)
    Store(store.target, opts).migrate()
    for table in TABLES:
        settings = table_settings(store.call(lambda c, t=table: engine_full(c, store.database, t)))
        assert settings["non_replicated_deduplication_window"] == "54321", table
        assert settings["fsync_after_insert"] == settings["fsync_part_directory"] == "1", table


def test_a_window_whose_digits_begin_the_current_one_is_still_applied(store: Store) -> None:
    """10000 -> 1000: the settings are compared by name and value, not found as a substring."""
    for window in (10_000, 1_000):
        Store(store.target, replace(store.opts, dedup_window=window)).migrate()
    for table in TABLES:
        settings = table_settings(store.call(lambda c, t=table: engine_full(c, store.database, t)))
        assert settings["non_replicated_deduplication_window"] == "1000", table


def test_table_settings_are_parsed_exactly() -> None:
    engine = "MergeTree ORDER BY (a, b) TTL t + toIntervalDay(3) SETTINGS index_granularity = 8192, x_y = 'a, b = 1'"
    assert table_settings(engine) == {"index_granularity": "8192", "x_y": "'a, b = 1'"}
    assert table_settings("MergeTree ORDER BY a") == {}


# --- 8. a clock stepped backwards -------------------------------------------------------------------


async def test_a_clock_stepped_back_does_not_stall_batching(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records stamped an hour ahead of the wall clock (it was stepped back) still go within the batch age."""
    stored = threading.Event()
    wal, pipeline = start(tmp_path, lambda payloads, token: stored.set(), replace(CFG, batch_age_s=0.1))
    real_ns = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real_ns() + 3600 * 10**9)
    append = asyncio.ensure_future(pipeline.submit(spans_payload(0)))
    await asyncio.sleep(0)  # the record is stamped
    monkeypatch.setattr(time, "time_ns", real_ns)
    await append
    assert await asyncio.to_thread(stored.wait, 5)
    await stop(wal, pipeline)


# --- 9. resync after a corrupt record ----------------------------------------------------------------


def test_resync_never_forges_a_record_from_inside_a_payload(tmp_path: Path) -> None:
    """A payload holding a record's image (a log of a WAL file, say) is not read as a record after damage."""
    inner = Payload(Signal.TRACES, Route.NATIVE, b"forged" * 20, 1)
    outer = Payload(Signal.TRACES, Route.NATIVE, b"prefix" + encode(inner, 1) + b"suffix", 1)
    after = Payload(Signal.TRACES, Route.NATIVE, b"after" * 20, 1)
    log = SignalLog(tmp_path, 1 << 20)
    for p in (outer, after):
        log.append(encode(p, 1))
    log.sync()
    log.close()
    segment = next(tmp_path.glob("*.wal"))
    data = bytearray(segment.read_bytes())
    data[8] ^= 0xFF  # damage the outer record's checksum
    segment.write_bytes(bytes(data))
    log = SignalLog(tmp_path, 1 << 20)
    records, _ = log.read(log.state.done, log.start, 10_000)
    log.close()
    assert [r.payload for _, r in records] == [after]


# --- 10. the id file, empty segments, a failed fsync ----------------------------------------------


def test_log_id_is_remade_when_torn(tmp_path: Path) -> None:
    (tmp_path / "id").write_text("")
    wal = WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20)
    wal.close()
    assert len(wal.wal_id) == 32 and (tmp_path / "id").read_text() == wal.wal_id


def test_idle_signals_make_no_segments(tmp_path: Path) -> None:
    for _ in range(3):
        WriteAheadLog(str(tmp_path), CFG, 1 << 30, 1 << 20).close()
    assert list(tmp_path.glob("*/*.wal")) == []


async def test_a_record_refused_by_a_failed_fsync_is_never_stored(tmp_path: Path) -> None:
    """The client got 503 and will send it again: storing it too would duplicate it (fsync fault injected)."""
    stored: list[bytes] = []
    wal, pipeline = start(tmp_path, lambda payloads, token: stored.extend(p.body for p in payloads))
    log = wal.logs[Signal.TRACES]

    def failing(fd: int) -> None:
        log.fsync = os.fsync
        raise OSError(errno.EIO, "Input/output error")

    log.fsync = failing
    refused, accepted = spans_payload(0), spans_payload(10)
    with pytest.raises(Refused):
        await pipeline.submit(refused)
    await pipeline.submit(accepted)
    await until(pipeline.idle)
    await stop(wal, pipeline)
    assert stored == [accepted.body]
    wal, pipeline = start(tmp_path, lambda payloads, token: stored.extend(p.body for p in payloads))
    await asyncio.wait_for(wal.replayed(), 20)
    await stop(wal, pipeline)
    assert stored == [accepted.body]


def test_readyz_and_metrics_show_a_failing_writer(live, tmp_path: Path) -> None:
    """A real fault under the checkpoint (state.json turned into a folder): 503 with the reason, then recovery."""
    import shutil
    import urllib.request

    from tests.collector.crash.sender import request, send_http
    from tests.collector.test_disk_full import readyz

    state = Path(live.settings.collector.wal_dir) / "traces" / "state.json"
    state.unlink()
    (state / "blocker").mkdir(parents=True)
    assert send_http(f"{live.http_url}/v1/traces", request(7, 0))  # durable in the log: acknowledged
    deadline = time.monotonic() + 30
    while (answer := readyz(live.http_url))[0] == 200:
        assert time.monotonic() < deadline, "the failing writer never showed in /readyz"
        time.sleep(0.05)
    status, body = answer
    assert status == 503 and any("(traces) is failing" in p and "Is a directory" in p for p in body["problems"])
    with urllib.request.urlopen(f"{live.http_url}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    assert 'otelhouse_collector_healthy{part="traces"} 0.0' in metrics
    assert 'otelhouse_collector_background_errors_total{kind="IsADirectoryError",part="traces"}' in metrics
    shutil.rmtree(state)
    deadline = time.monotonic() + 30
    while readyz(live.http_url)[0] != 200:
        assert time.monotonic() < deadline, "the writer did not recover"
        time.sleep(0.05)
    assert live.query("SELECT count() FROM {db}.otel_traces WHERE ServiceName = 'crash-sender-7'") == [(50,)]
