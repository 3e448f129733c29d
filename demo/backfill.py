"""Write past days of the demo shop through the collector: traces, logs and one-minute metric points.

The period is cut into consecutive ranges, one per worker process (up to four), since simulating
every visit is CPU work.

Every visit of the period is simulated at the live rate (with the same seasonality and incidents), so
the business metrics match what the live demo sends; a sample of the visits (as head sampling would
keep) is also sent as traces and logs.
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing as mp
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as mpb

from demo.jsonlines import JSON_SHAPES, JsonLinesSink
from demo.measure import gauge_measurements, visit_measurements
from demo.model import simulate_visit
from demo.otlp import MinuteMetrics, SignalBatch
from demo.progress import Progress
from demo.timeline import incident_at, traffic_factor
from demo.transport import post

log = logging.getLogger("otelhouse.demo")
WINDOW_S = 60
FLUSH_ITEMS = 5000
METRIC_WINDOWS_PER_REQUEST = 60
PROTOBUF = {"Content-Type": "application/x-protobuf"}


@dataclass
class BackfillResult:
    visits: int = 0
    spans: int = 0
    log_records: int = 0
    points: int = 0
    json_lines: int = 0
    seconds: float = 0.0


def poisson(rng: random.Random, mean: float) -> int:
    """Draw a Poisson count (normal approximation for large means)."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    threshold, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


class _Sender:
    """Post batches to the collector's OTLP/HTTP routes, retrying back-pressure refusals."""

    def __init__(self, endpoint: str, headers: dict[str, str]) -> None:
        self.base = endpoint.rstrip("/")
        self.headers = {**headers, **PROTOBUF}
        self.json = JsonLinesSink(endpoint, headers)

    def send(self, signal: str, request) -> None:
        post(f"{self.base}/v1/{signal}", request.SerializeToString(), self.headers, attempts=30)


def backfill_range(
    endpoint: str,
    headers: dict[str, str],
    start: float,
    end: float,
    visits_per_second: float,
    seed: int,
    sample: float,
    tick: Callable[[float], None] = lambda _: None,
) -> BackfillResult:
    """Send the shop's telemetry from `start` to `end` (Unix seconds, whole minutes); call tick(s) per window."""
    started = time.monotonic()
    rng = random.Random(seed * 7919 + int(start))
    sender = _Sender(endpoint, headers)
    result = BackfillResult()
    batch = SignalBatch()
    metrics, scopes, windows = mpb.ExportMetricsServiceRequest(), {}, 0

    def flush_signals() -> None:
        nonlocal batch
        if batch.spans:
            sender.send("traces", batch.traces)
        if batch.records:
            sender.send("logs", batch.logs)
        sender.json.flush()
        result.spans += batch.spans
        result.log_records += batch.records
        batch = SignalBatch()

    t = start
    while t < end:
        window = MinuteMetrics(int(t * 1e9), int((t + WINDOW_S) * 1e9))
        for _ in range(poisson(rng, visits_per_second * traffic_factor(t) * WINDOW_S)):
            at = t + rng.uniform(0, WINDOW_S)
            visit = simulate_visit(rng, int(at * 1e9), incident_at(at, seed))
            for m in visit_measurements(visit):
                window.add(m)
            if rng.random() < sample:
                batch.add_visit(visit, rng, JSON_SHAPES, sender.json.add)
            result.visits += 1
        for m in gauge_measurements(t, incident_at(t, seed), rng):
            window.add(m)
        result.points += window.write(metrics, scopes)
        windows += 1
        if batch.spans + batch.records >= FLUSH_ITEMS:
            flush_signals()
        if windows >= METRIC_WINDOWS_PER_REQUEST:
            sender.send("metrics", metrics)
            metrics, scopes, windows = mpb.ExportMetricsServiceRequest(), {}, 0
        t += WINDOW_S
        tick(WINDOW_S)
    flush_signals()
    if windows:
        sender.send("metrics", metrics)
    result.json_lines = sender.json.sent
    result.seconds = time.monotonic() - started
    return result


_done = None  # a worker process's shared counter of seconds written


def _init_worker(done) -> None:
    global _done
    _done = done


def _tick(seconds: float) -> None:
    with _done.get_lock():
        _done.value += seconds


def _worker(args: tuple) -> BackfillResult:
    return backfill_range(*args, tick=_tick)


def backfill(
    endpoint: str,
    headers: dict[str, str],
    seconds: float,
    visits_per_second: float,
    seed: int,
    sample: float = 0.1,
    workers: int = 0,
    progress: Progress | None = None,
) -> BackfillResult:
    """Send the last `seconds` of history, split by time over worker processes; return what was sent."""
    started = time.monotonic()
    end = time.time() // WINDOW_S * WINDOW_S
    minutes = int(seconds // WINDOW_S)
    workers = max(1, min(workers or os.cpu_count() or 1, 4, minutes))
    cuts = [end - minutes * WINDOW_S + (minutes * i // workers) * WINDOW_S for i in range(workers + 1)]
    jobs = [(endpoint, headers, a, b, visits_per_second, seed, sample) for a, b in itertools.pairwise(cuts)]
    ctx = mp.get_context("spawn")
    done = ctx.Value("d", 0.0)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(done,)) as pool:
        futures = [pool.submit(_worker, job) for job in jobs]
        while not all(f.done() for f in futures):
            if progress:
                progress.update(done.value, f"{done.value / 86400:.1f} of {minutes * WINDOW_S / 86400:.1f} days")
            time.sleep(0.2)
        parts = [f.result() for f in futures]
    total = BackfillResult(seconds=time.monotonic() - started)
    for part in parts:
        for name in ("visits", "spans", "log_records", "points", "json_lines"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
    return total
