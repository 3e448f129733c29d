"""The roller's health: counts, the last failure, and what /readyz and /metrics say about it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


@dataclass
class RetentionHealth:
    """What the scheduled runs did; a failing run makes the process unready until a run succeeds."""

    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    steps_done: int = 0
    rows_archived: int = 0
    last_error: str = ""
    last_success: float = 0.0  # wall clock, for /metrics
    started: float = field(default_factory=time.monotonic)

    def succeeded(self, steps: int, rows: int) -> None:
        self.runs += 1
        self.steps_done += steps
        self.rows_archived += rows
        self.consecutive_failures = 0
        self.last_error = ""
        self.last_success = time.time()

    def failed(self, error: str) -> None:
        self.runs += 1
        self.failures += 1
        self.consecutive_failures += 1
        self.last_error = error[:500]

    def problem(self) -> str:
        """Return why retention is unhealthy, or ''."""
        if not self.consecutive_failures:
            return ""
        return (
            f"retention: {self.consecutive_failures} run(s) in a row failed, retrying with backoff: {self.last_error}"
        )


class RetentionCollector(Collector):
    """Exposes the roller's counters at scrape time."""

    def __init__(self, health: RetentionHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        h, p = self.health, "otelhouse_retention_"
        yield CounterMetricFamily(p + "runs", "Scheduled retention runs", value=h.runs)
        yield CounterMetricFamily(p + "failures", "Retention runs that failed (logged, retried)", value=h.failures)
        yield CounterMetricFamily(p + "steps", "Rolls, compactions and removals done", value=h.steps_done)
        yield CounterMetricFamily(
            p + "rows_archived", "Rows archived, verified and dropped from hot", value=h.rows_archived
        )
        yield GaugeMetricFamily(p + "healthy", "1 unless the last run failed", value=0 if h.consecutive_failures else 1)
        yield GaugeMetricFamily(p + "last_success_timestamp_seconds", "When a run last succeeded", value=h.last_success)
