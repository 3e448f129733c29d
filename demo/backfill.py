"""Write past days of the demo shop through the collector: traces, logs and one-minute metric points.

Every visit of the period is simulated at the live rate (with the same seasonality and incidents), so
the business metrics match what the live demo sends; a sample of the visits (as head sampling would
keep) is also sent as traces and logs.
"""

from __future__ import annotations

import logging
import math
import random
import time
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


def backfill(
    endpoint: str,
    headers: dict[str, str],
    seconds: float,
    visits_per_second: float,
    seed: int,
    sample: float = 0.1,
    end: float | None = None,
    progress: Progress | None = None,
) -> BackfillResult:
    """Send `seconds` of history ending at `end` (default: now); return what was sent."""
    started = time.monotonic()
    end = float(int(end if end is not None else time.time()) // WINDOW_S * WINDOW_S)
    start = end - seconds // WINDOW_S * WINDOW_S
    rng = random.Random(seed)
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
        if progress:
            progress.update(t - start, f"{time.strftime('%a %H:%M', time.gmtime(t))} UTC, {result.visits:,} visits")
    flush_signals()
    if windows:
        sender.send("metrics", metrics)
    result.json_lines = sender.json.sent
    result.seconds = time.monotonic() - started
    return result
