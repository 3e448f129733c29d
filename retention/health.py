"""The roller's health: counts, the last failure, and what /readyz and /metrics say about it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from otelhouse.jobhealth import JobHealth, run_families


@dataclass
class RetentionHealth(JobHealth):
    """What the scheduled runs did; a failing run makes the process unready until a run succeeds."""

    label: str = "retention"
    steps_done: int = 0
    rows_archived: int = 0
    started: float = field(default_factory=time.monotonic)

    def succeeded(self, steps: int, rows: int) -> None:
        self.run_succeeded()
        self.steps_done += steps
        self.rows_archived += rows


class RetentionCollector(Collector):
    """Exposes the roller's counters at scrape time."""

    def __init__(self, health: RetentionHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        h, p = self.health, "otelhouse_retention_"
        yield from run_families(p, "retention", h)
        yield CounterMetricFamily(p + "steps", "Rolls, compactions and removals done", value=h.steps_done)
        yield CounterMetricFamily(
            p + "rows_archived", "Rows archived, verified and dropped from hot", value=h.rows_archived
        )
