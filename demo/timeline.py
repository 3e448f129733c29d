"""Time-driven shape of the demo shop: daily and weekly seasonality, and a timeline of incidents.

Pure functions of time (Unix seconds) and a seed, so the live demo and the backfill tell the same story.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

HOUR = 3600.0
DAY = 24 * HOUR
PROVIDERS = ("stripe", "adyen", "paypal")


@dataclass(frozen=True)
class Incident:
    """Something going wrong for a while: a payment provider failing, or a slow database."""

    kind: str  # "payment_outage" or "latency_spike"
    start: float
    end: float
    provider: str = ""  # the failing provider of a payment_outage

    def describe(self) -> str:
        """Return a one-line description for logs."""
        what = f"payment provider {self.provider} failing" if self.kind == "payment_outage" else "inventory DB slow"
        return f"{what} for {(self.end - self.start) / 60:.0f} min"


def daily_factor(t: float) -> float:
    """Return the time-of-day traffic factor: 1.0 at 20:00 UTC, 0.35 at 08:00 UTC."""
    hour = (t % DAY) / HOUR
    return 0.675 + 0.325 * math.cos(2 * math.pi * (hour - 20) / 24)


def weekly_factor(t: float) -> float:
    """Return the day-of-week factor: quieter Monday to Thursday, busiest on Saturday and Sunday."""
    weekday = int((t // DAY + 3) % 7)  # 1970-01-01 was a Thursday; Monday is 0
    return (0.85, 0.85, 0.9, 0.9, 1.0, 1.2, 1.15)[weekday]


def traffic_factor(t: float) -> float:
    """Return the share of the peak visit rate at time t (daily times weekly seasonality)."""
    return daily_factor(t) * weekly_factor(t) / 1.2


def incident_at(t: float, seed: int) -> Incident | None:
    """Return the incident running at time t, if any: nine in ten 3-hour blocks hold one of 6-15 minutes."""
    block = int(t // (3 * HOUR))
    rng = random.Random(seed * 1_000_003 + block)
    if rng.random() > 0.9:
        return None
    start = block * 3 * HOUR + rng.uniform(0, 3 * HOUR - 15 * 60)
    end = start + rng.uniform(6 * 60, 15 * 60)
    kind = rng.choice(("payment_outage", "payment_outage", "latency_spike"))
    incident = Incident(kind, start, end, rng.choice(PROVIDERS) if kind == "payment_outage" else "")
    return incident if start <= t < end else None
