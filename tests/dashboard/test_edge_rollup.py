"""The service map's edge rollup: rolled minutes plus a raw tail give exactly the raw join's answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from dashboard.edge_job import (
    CATCH_UP_DAYS,
    CHUNK_MINUTES,
    RECOMPUTE_MINUTES,
    SETTLE_NS,
    catch_up_days,
    due_pieces,
    roll_due,
)
from storage import Store
from storage.queries.common import Window
from storage.queries.edges import (
    MAX_RAW_PIECES,
    MINUTE_NS,
    rolled_minutes,
    rollup_minutes,
    service_edges,
    split_window,
)
from tests.collector.conftest import LiveCollector
from tests.dashboard.conftest import live_database
from tests.dashboard.seed import Seeded, seed_traces

NS = 1_000_000_000
M = MINUTE_NS


# --- pure: how a window is split, what is due ---------------------------------------------------


def test_split_window_reads_whole_rolled_minutes_and_joins_the_rest_raw() -> None:
    t0 = 1_000 * M
    w = Window(t0 + 30 * NS, t0 + 10 * M + 15 * NS)
    rolled = [t0 + i * M for i in range(0, 8) if i != 4]  # minute 4 missing, 8 and 9 not rolled yet
    assert split_window(w, rolled) == (
        (t0 + M, t0 + 10 * M),
        [(t0 + 30 * NS, t0 + M), (t0 + 4 * M, t0 + 5 * M), (t0 + 8 * M, t0 + 10 * M + 15 * NS)],
    )
    assert split_window(Window(t0, t0 + 3 * M), [t0, t0 + M, t0 + 2 * M]) == ((t0, t0 + 3 * M), [])
    assert split_window(Window(t0 + NS, t0 + 2 * NS), [t0]) == ((t0 + M, t0 + M), [(t0 + NS, t0 + 2 * NS)])
    holes = [t0 + i * M for i in range(0, 100, 2)]  # every other minute: too many pieces
    assert split_window(Window(t0, t0 + 100 * M), holes) == ((t0, t0), [(t0, t0 + 100 * M)])
    assert MAX_RAW_PIECES < 50


def test_due_pieces_rolls_the_newest_minutes_then_catches_up_oldest_first_in_chunks() -> None:
    now = 10_000 * M + 30 * NS
    hi = 10_000 * M - M  # the minute before the current one has settled by now
    assert SETTLE_NS == M
    recent = (hi - RECOMPUTE_MINUTES * M, hi)
    assert due_pieces(now, set(), None) == [recent]
    first = recent[0] - 150 * M + 7 * NS
    rolled = {recent[0] - 100 * M + i * M for i in range(10)}  # a stretch rolled before a downtime
    pieces = due_pieces(now, rolled, first)
    assert pieces[0] == recent
    start = recent[0] - 150 * M
    assert pieces[1:] == [
        (start, recent[0] - 100 * M),  # 50 minutes, up to the stretch rolled
        (recent[0] - 90 * M, recent[0] - 90 * M + CHUNK_MINUTES * M),
        (recent[0] - 30 * M, recent[0]),
    ]
    everything = {m for m in range(start, recent[0], M)}
    assert due_pieces(now, everything, first) == [recent]


# --- against the real engine, spans sent through the collector ---------------------------------


@dataclass
class Edges:
    store: Store
    live: LiveCollector
    seeded: Seeded


@pytest.fixture(scope="module")
def edges_world(engine: Store, chdb_path) -> Iterator[Edges]:
    with live_database(engine, chdb_path) as (store, _settings, live):
        seeded = seed_traces(live.http_url)
        live.wait_stored()
        yield Edges(store, live, seeded)


def answers(store: Store, w: Window, service: str | None = None) -> tuple[list[dict], list[dict]]:
    """Return (rollup + raw tail, raw join only) for one window."""
    db = store.database
    rolled = store.call(lambda c: service_edges(c, db, w, service))
    raw = store.call(lambda c: service_edges(c, db, w, service, use_rollup=False))
    return rolled, raw


def windows(seeded: Seeded, now: int) -> list[Window]:
    s = seeded.start_ns
    return [
        Window(s, now + NS),  # the whole seeded range, starting mid-minute, ending after the last roll
        Window(s - s % M + 37 * NS, s - s % M + 9 * M + 37 * NS),  # starts and ends mid-minute
        Window(s - s % M + 2 * M, s - s % M + 12 * M),  # whole minutes only
        Window(s - s % M + 5 * M + 10 * NS, s - s % M + 5 * M + 50 * NS),  # inside one minute
        Window(now - 3 * M, now + NS),  # the newest minutes: mostly raw
    ]


def send_call(http_url: str, caller: str, callee: str, at_ns: int) -> None:
    """Send one call `caller` -> `callee` at `at_ns` through the collector (both spans, real SDK)."""
    providers = {n: TracerProvider(resource=Resource.create({"service.name": n})) for n in (caller, callee)}
    for p in providers.values():
        p.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{http_url}/v1/traces")))
    call = providers[caller].get_tracer("t").start_span("call", kind=SpanKind.CLIENT, start_time=at_ns)
    served = (
        providers[callee]
        .get_tracer("t")
        .start_span(
            "serve", context=trace.set_span_in_context(call), kind=SpanKind.SERVER, start_time=at_ns + 1_000_000
        )
    )
    served.end(end_time=at_ns + 5_000_000)
    call.end(end_time=at_ns + 6_000_000)
    for p in providers.values():
        p.shutdown()


def test_rollup_and_raw_tail_equal_the_raw_join(edges_world: Edges) -> None:
    store, seeded, db = edges_world.store, edges_world.seeded, edges_world.store.database
    now = time.time_ns()
    assert roll_due(store, now) > RECOMPUTE_MINUTES  # first run: catches up over the seeded minutes
    rolled = store.call(lambda c: rolled_minutes(c, db, seeded.start_ns - M, now))
    assert len(rolled) >= 15
    for w in windows(seeded, now):
        for service in (None, "frontend", "cart", "payments"):
            got, want = answers(store, w, service)
            assert got == want, (w, service)
    whole, _ = answers(store, Window(seeded.start_ns, now + NS))
    assert {(e["caller"], e["callee"]): (e["calls"], e["errors"]) for e in whole} == {
        ("frontend", "cart"): (60, 0),
        ("cart", "payments"): (60, 9),
    }
    # the callee's p95: within 1% of the duration of rank 0.95 (n - 1) of the seeded payments spans
    pays = sorted(s.end_time - s.start_time for s in seeded.spans if s.name == "charge" and s.kind == SpanKind.SERVER)
    (p95,) = [e["p95_ns"] for e in whole if e["callee"] == "payments"]
    assert abs(p95 / pays[int(0.95 * (len(pays) - 1))] - 1) <= 0.01
    # most of the whole range came from the rollup, not from raw spans
    part, raw = split_window(Window(seeded.start_ns, now + NS), rolled)
    assert part[1] - part[0] >= 15 * M and sum(hi - lo for lo, hi in raw) < 5 * M


def test_a_late_span_is_caught_when_its_minute_is_rolled_again(edges_world: Edges) -> None:
    store, live = edges_world.store, edges_world.live
    now = time.time_ns()
    roll_due(store, now)
    late_at = now - 5 * M  # a minute rolled already, inside the minutes every run rolls again
    w = Window(late_at - late_at % M - 2 * M, now - now % M - 2 * M)  # whole minutes, all rolled
    before, _ = answers(store, w)
    send_call(live.http_url, "frontend", "late-service", late_at)
    live.wait_stored()
    stale, want = answers(store, w)
    assert stale == before and ("frontend", "late-service") in {(e["caller"], e["callee"]) for e in want}
    roll_due(store, time.time_ns())
    got, want = answers(store, w)
    assert got == want
    assert [e["calls"] for e in got if e["callee"] == "late-service"] == [1]


def test_rolling_again_or_twice_at_once_counts_nothing_twice(edges_world: Edges) -> None:
    store, seeded, db = edges_world.store, edges_world.seeded, edges_world.store.database
    now = time.time_ns()
    roll_due(store, now)
    lo, hi = seeded.start_ns - seeded.start_ns % M, now - now % M - 2 * M
    threads = [threading.Thread(target=lambda: store.call(lambda c: rollup_minutes(c, db, lo, hi))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    rollup_minutes_again = store.call(lambda c: rollup_minutes(c, db, lo, hi))
    assert rollup_minutes_again is None
    w = Window(lo, hi)
    got, want = answers(store, w)
    assert got == want
    assert split_window(w, store.call(lambda c: rolled_minutes(c, db, lo, hi))) == ((lo, hi), [])


def test_catch_up_reaches_back_only_so_far(edges_world: Edges) -> None:
    """Spans older than the catch-up horizon (a 1970 timestamp, say) do not start decades of catch-up."""
    later = time.time_ns() + (CATCH_UP_DAYS + 1) * 86400 * NS  # every seeded span is now too old
    assert catch_up_days(edges_world.store) == CATCH_UP_DAYS  # no traces TTL in the test settings
    assert roll_due(edges_world.store, later) == RECOMPUTE_MINUTES
