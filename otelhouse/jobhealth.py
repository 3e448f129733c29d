"""The health of a scheduled background job: counts, the last failure, and what /readyz and /metrics say."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


@dataclass
class JobHealth:
    """What a job's runs did; a failing run makes the process unready until a run succeeds."""

    label: str = "job"  # how /readyz names the job
    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_error: str = ""
    last_success: float = 0.0  # wall clock, for /metrics

    def run_succeeded(self) -> None:
        self.runs += 1
        self.consecutive_failures = 0
        self.last_error = ""
        self.last_success = time.time()

    def failed(self, error: str) -> None:
        self.runs += 1
        self.failures += 1
        self.consecutive_failures += 1
        self.last_error = error[:500]

    def problem(self) -> str:
        """Return why the job is unhealthy, or ''."""
        if not self.consecutive_failures:
            return ""
        failed = f"{self.consecutive_failures} run(s) in a row failed"
        return f"{self.label}: {failed}, retrying with backoff: {self.last_error}"


def run_families(p: str, what: str, h: JobHealth) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
    """Yield the metrics every job has: runs, failures, healthy, last success."""
    yield CounterMetricFamily(p + "runs", f"Scheduled {what} runs", value=h.runs)
    yield CounterMetricFamily(
        p + "failures", f"{what.capitalize()} runs that failed (logged, retried)", value=h.failures
    )
    yield GaugeMetricFamily(p + "healthy", "1 unless the last run failed", value=0 if h.consecutive_failures else 1)
    yield GaugeMetricFamily(p + "last_success_timestamp_seconds", "When a run last succeeded", value=h.last_success)
