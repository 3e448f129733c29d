"""The rollup job: each minute, roll the last minutes and any not rolled yet, for the service map's edges
and the services list's ten-minute slots (`roll_piece`).

What is due is computed from the minutes already rolled and the clock (`due_pieces`), so a job that
fires late, twice, in two processes at once, or after downtime does the right thing: the newest
minutes are rolled again on every run (late spans are caught), and minutes never rolled (first start
over existing data, downtime) are caught up in bounded chunks, oldest first, a time budget per run.
A failing run is logged once, counted, makes /readyz unready, and is retried after a backoff.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from apscheduler.triggers.interval import IntervalTrigger
from clickhouse_connect.driver import Client
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from otelhouse.jobhealth import JobHealth, run_families
from retention.scheduler import create_scheduler
from storage import Store
from storage.queries import red
from storage.queries.common import NS
from storage.queries.edges import MINUTE_NS, Piece, first_span_ns, minute_floor, rolled_minutes, rollup_minutes
from storage.queries.red import SLOT_S

log = logging.getLogger(__name__)
SETTLE_NS = MINUTE_NS  # a minute is rolled once it has been over for this long
RECOMPUTE_MINUTES = 10  # every run rolls the last this many minutes again (spans that arrive late)
CHUNK_MINUTES = 60  # minutes rolled by one catch-up statement
CATCH_UP_DAYS = 30  # how far back a store without a traces TTL is caught up
BUDGET_S = 30.0  # a run starts no new catch-up chunk after this long; the next run goes on
BACKOFF_S = (60, 300, 900)


def due_pieces(now_ns: int, rolled: set[int], first_ns: int | None) -> list[Piece]:
    """Return the [lo, hi) pieces to roll now: the newest minutes, then unrolled ones oldest first.

    `rolled` holds the starts of minutes rolled already; `first_ns` is the oldest span's time (None:
    no spans). Catch-up pieces are runs of unrolled minutes, each at most CHUNK_MINUTES long.
    """
    hi = minute_floor(now_ns - SETTLE_NS)
    recent = hi - RECOMPUTE_MINUTES * MINUTE_NS
    pieces = [(recent, hi)]
    if first_ns is None:
        return pieces
    catch_up: list[Piece] = []
    for m in range(minute_floor(first_ns), recent, MINUTE_NS):
        if m in rolled:
            continue
        if catch_up and catch_up[-1][1] == m and m - catch_up[-1][0] < CHUNK_MINUTES * MINUTE_NS:
            catch_up[-1] = (catch_up[-1][0], m + MINUTE_NS)
        else:
            catch_up.append((m, m + MINUTE_NS))
    return pieces + catch_up


@dataclass
class EdgeJobHealth(JobHealth):
    """What the rollup's runs did, and the minutes they rolled."""

    label: str = "service map rollup"
    minutes: int = 0


class EdgeJobCollector(Collector):
    """Exposes the job's counters at scrape time."""

    def __init__(self, health: EdgeJobHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        h, p = self.health, "otelhouse_edge_rollup_"
        yield from run_families(p, "service map rollup", h)
        yield CounterMetricFamily(p + "minutes", "Minutes of edges rolled (the newest again each run)", value=h.minutes)


def roll_piece(client: Client, db: str, piece: Piece) -> None:
    """Roll the services list's slots touching a piece, then its edges, which marks its minutes rolled.

    In this order a minute is marked only once both rollups hold it. A slot is rolled whole from the
    spans there are, so one that reaches past the piece is rolled again as its later minutes come due.
    """
    red.roll_slots(client, db, piece[0] // NS // SLOT_S * SLOT_S, -(-piece[1] // NS // SLOT_S) * SLOT_S)
    rollup_minutes(client, db, *piece)


def catch_up_days(store: Store) -> int:
    """Return how far back minutes are caught up: the traces' TTL, else CATCH_UP_DAYS."""
    return store.opts.ttl_days.get("traces", 0) or CATCH_UP_DAYS


def roll_due(store: Store, now_ns: int, budget_s: float = BUDGET_S, stopping: threading.Event | None = None) -> int:
    """Roll what is due at `now_ns`; return the minutes rolled.

    Stops between chunks once `budget_s` has passed or `stopping` is set (the process is shutting down).

    Minutes older than `catch_up_days` are not caught up (a span stamped 1970 would otherwise mean
    decades of empty minutes); windows reaching back there join raw spans for them.
    """
    db, started = store.database, time.monotonic()
    since = now_ns - catch_up_days(store) * 86400 * NS
    first = store.call(lambda c: first_span_ns(c, db, since))
    lo = minute_floor(first) if first is not None else now_ns
    rolled = set(store.call(lambda c: rolled_minutes(c, db, lo, now_ns)))
    done = 0
    for piece in due_pieces(now_ns, rolled, first):
        if (done and time.monotonic() - started > budget_s) or (stopping is not None and stopping.is_set()):
            break
        store.call(lambda c, p=piece: roll_piece(c, db, p))
        done += (piece[1] - piece[0]) // MINUTE_NS
    return done


class EdgeJob:
    """Runs `roll_due` every minute (and once at start-up) on APScheduler, never letting an error escape."""

    def __init__(self, store: Store, clock: Callable[[], int] = time.time_ns) -> None:
        self.store, self.clock = store, clock
        self.health = EdgeJobHealth()
        self._retry_at = 0.0
        self._stopping = threading.Event()
        self._idle = asyncio.Event()  # set while no run is in progress
        self._idle.set()
        self.scheduler = create_scheduler()
        self.scheduler.add_job(self.run, IntervalTrigger(minutes=1), id="edges", name="service map rollup")

    def start(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(self.run, id="edges-now", name="service map rollup at start-up")

    async def stop(self) -> None:
        """Stop the triggers and wait for a run in progress to end its current chunk (the store closes next)."""
        self._stopping.set()
        self.scheduler.shutdown(wait=False)
        await self._idle.wait()

    async def run(self) -> None:
        """Roll what is due in a worker thread; after a failure wait out the backoff first."""
        if time.monotonic() < self._retry_at or self._stopping.is_set():
            return
        h = self.health
        self._idle.clear()
        try:
            minutes = await asyncio.to_thread(roll_due, self.store, self.clock(), BUDGET_S, self._stopping)
        except Exception as exc:
            h.failed(str(exc))
            delay = BACKOFF_S[min(h.consecutive_failures, len(BACKOFF_S)) - 1]
            self._retry_at = time.monotonic() + delay
            log.error(
                "service map rollup failed; retrying",
                extra={"error": h.last_error, "failures_in_a_row": h.consecutive_failures, "retry_in_s": delay},
            )
            return
        finally:
            self._idle.set()
        h.run_succeeded()
        h.minutes += minutes
        if minutes > RECOMPUTE_MINUTES:
            log.info("service map rollup caught up", extra={"minutes": minutes})


__all__ = ["EdgeJob", "EdgeJobCollector", "due_pieces", "roll_due"]
