"""The demo's metrics: one table of instruments, and pure functions from visits and time to measurements.

The live demo records measurements on SDK instruments; the backfill sums them into one-minute points.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from demo.model import Visit
from demo.timeline import Incident, traffic_factor

# seconds; the OpenTelemetry semantic conventions' advice for HTTP durations
DURATION_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


@dataclass(frozen=True)
class Instrument:
    kind: str  # counter, histogram, gauge
    unit: str
    description: str


INSTRUMENTS = {
    "http.server.request.duration": Instrument("histogram", "s", "Duration of HTTP server requests"),
    "http.server.requests": Instrument("counter", "{request}", "HTTP server requests answered"),
    "messaging.process.duration": Instrument("histogram", "s", "Duration of processing a queued message"),
    "messaging.queue.depth": Instrument("gauge", "{message}", "Messages waiting in the email queue"),
    "db.client.connection.count": Instrument("gauge", "{connection}", "Database connections in the pool by state"),
    "shop.orders": Instrument("counter", "{order}", "Orders placed"),
    "shop.revenue": Instrument("counter", "{currency}", "Revenue of orders placed, in the order's currency"),
    "shop.signups": Instrument("counter", "{signup}", "Customer sign-ups"),
    "shop.cart.abandoned": Instrument("counter", "{cart}", "Carts filled and left without checking out"),
    "shop.payment.failures": Instrument("counter", "{payment}", "Payments that failed, by provider and reason"),
}


@dataclass(frozen=True)
class Measurement:
    service: str
    name: str
    value: float
    attributes: tuple[tuple[str, str | int], ...]


def visit_measurements(visit: Visit) -> list[Measurement]:
    """Return the technical and business measurements one visit produces."""
    out: list[Measurement] = []
    for span in visit.spans:
        seconds = (span.end_ns - span.start_ns) / 1e9
        if span.kind == "server":
            attrs = (
                ("http.request.method", span.attributes["http.request.method"]),
                ("http.route", span.attributes["http.route"]),
                ("http.response.status_code", span.attributes.get("http.response.status_code", 200)),
            )
            out.append(Measurement(span.service, "http.server.request.duration", seconds, attrs))
            out.append(Measurement(span.service, "http.server.requests", 1, attrs))
        elif span.kind == "consumer":
            attrs = (("messaging.destination.name", "email"), ("messaging.operation.name", span.name))
            out.append(Measurement(span.service, "messaging.process.duration", seconds, attrs))
    o = visit.outcome
    where = (("country", o.country),)
    if o.kind == "order":
        money = (("country", o.country), ("currency", o.currency))
        out.append(Measurement("checkout", "shop.orders", 1, money))
        out.append(Measurement("checkout", "shop.revenue", o.amount, money))
    elif o.kind == "payment_failed":
        reason = (("payment.provider", o.provider), ("reason", o.failure_reason))
        out.append(Measurement("payments", "shop.payment.failures", 1, reason))
    elif o.kind == "signup":
        out.append(Measurement("frontend", "shop.signups", 1, where))
    elif o.kind == "abandon":
        out.append(Measurement("frontend", "shop.cart.abandoned", 1, where))
    return out


def gauge_measurements(t: float, incident: Incident | None, rng: random.Random) -> list[Measurement]:
    """Return the email queue depth and inventory DB pool usage at time t."""
    load = traffic_factor(t)
    slow_db = incident is not None and incident.kind == "latency_spike"
    used = min(20, max(1, round(rng.gauss(3 + 6 * load + (10 if slow_db else 0), 1.0))))
    depth = max(0, round(rng.gauss(4 * load, 1.5)))
    return [
        Measurement("email", "messaging.queue.depth", depth, (("messaging.destination.name", "email"),)),
        Measurement("inventory", "db.client.connection.count", used, (("state", "used"),)),
        Measurement("inventory", "db.client.connection.count", 20 - used, (("state", "idle"),)),
    ]
