"""The demo shop as pure data: one visit becomes a plan of spans and log lines across five services.

Emitters turn a plan into telemetry: `demo.live` through the OpenTelemetry SDK, `demo.backfill` as
OTLP protobuf with past timestamps. Latencies are log-normal; payments retry provider errors; a slow
dependency now and then; incidents (demo.timeline) make a provider fail or the inventory DB slow.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field

from demo.timeline import PROVIDERS, Incident

SERVICES = ("frontend", "checkout", "payments", "inventory", "email")
# country -> (currency, share of visits, units of the currency per euro)
COUNTRIES = {
    "US": ("USD", 0.32, 1.08),
    "DE": ("EUR", 0.18, 1.0),
    "GB": ("GBP", 0.14, 0.86),
    "FR": ("EUR", 0.12, 1.0),
    "JP": ("JPY", 0.10, 160.0),
    "BR": ("BRL", 0.08, 5.4),
    "NL": ("EUR", 0.06, 1.0),
}
PROVIDER_SHARE = {"stripe": 0.55, "adyen": 0.3, "paypal": 0.15}
VISIT_KINDS = {"browse": 0.62, "abandon": 0.12, "checkout": 0.2, "signup": 0.06}
PROVIDER_HOSTS = {p: f"api.{p}.com" for p in PROVIDERS}
MS = 1_000_000


@dataclass
class LogLine:
    """A log line written inside a span."""

    time_ns: int
    severity: str  # DEBUG, INFO, WARN, ERROR
    body: str
    attributes: dict[str, str | int | float | bool] = field(default_factory=dict)


@dataclass
class SpanPlan:
    """A span to emit; `parent` indexes the visit's span list (parents come first)."""

    service: str
    name: str
    kind: str  # server, client, internal, producer, consumer
    start_ns: int
    end_ns: int = 0
    parent: int | None = None
    attributes: dict[str, str | int | float | bool] = field(default_factory=dict)
    error: str = ""  # status message of a failed span
    exception: str = ""  # exception type recorded as an event on a failed span
    logs: list[LogLine] = field(default_factory=list)


@dataclass
class Outcome:
    """What the visit meant for the business."""

    kind: str  # browse, abandon, order, payment_failed, error, signup
    country: str
    currency: str
    amount: float = 0.0
    provider: str = ""
    failure_reason: str = ""


@dataclass
class Visit:
    spans: list[SpanPlan]
    outcome: Outcome


def _ms(rng: random.Random, median_ms: float, sigma: float = 0.5) -> int:
    """Return a log-normal duration in nanoseconds around a median."""
    return int(median_ms * math.exp(rng.gauss(0.0, sigma)) * MS)


class _Choice:
    """A weighted choice with its cumulative weights computed once."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.keys = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.keys, cum_weights=self.cumulative)[0]


_COUNTRY = _Choice({c: v[1] for c, v in COUNTRIES.items()})
_PROVIDER = _Choice(PROVIDER_SHARE)
_KIND = _Choice(VISIT_KINDS)


class _Plan:
    """Builds one visit's spans on a virtual clock."""

    def __init__(self, rng: random.Random, incident: Incident | None) -> None:
        self.rng = rng
        self.incident = incident
        self.spans: list[SpanPlan] = []

    def open(self, service: str, name: str, kind: str, start: int, parent: int | None, **attrs) -> int:
        self.spans.append(SpanPlan(service, name, kind, start, start, parent, attrs))
        return len(self.spans) - 1

    def close(self, idx: int, end: int, error: str = "", exception: str = "") -> int:
        span = self.spans[idx]
        span.end_ns, span.error, span.exception = end, error, exception
        return end

    def log(self, idx: int, at: int, severity: str, body: str, **attrs) -> None:
        self.spans[idx].logs.append(LogLine(at, severity, body, attrs))

    def call(self, parent: int, callee: str, method: str, route: str, start: int) -> tuple[int, int]:
        """Open a client span in the caller and the server span it reaches in `callee`."""
        caller = self.spans[parent].service
        client = self.open(
            caller,
            f"{method} {route}",
            "client",
            start,
            parent,
            **{
                "http.request.method": method,
                "server.address": callee,
                "server.port": 8080,
                "url.full": f"http://{callee}:8080{route}",
            },
        )
        server = self.open(
            callee,
            f"{method} {route}",
            "server",
            start + _ms(self.rng, 0.4),
            client,
            **{
                "http.request.method": method,
                "http.route": route,
                "url.scheme": "http",
                "server.address": callee,
                "network.protocol.version": "1.1",
            },
        )
        return client, server

    def answer(self, client: int, server: int, end: int, status: int, error: str = "") -> int:
        """Close a server span and its client span with an HTTP status; return the client's end."""
        for idx in (server, client):
            self.spans[idx].attributes["http.response.status_code"] = status
        self.close(server, end, error if status >= 500 else "")
        return self.close(client, end + _ms(self.rng, 0.4), f"HTTP {status}" if status >= 500 else "")

    def inventory(self, parent: int, start: int, route: str, items: int) -> int:
        """Inventory answers a stock query from its database; return when the caller has the answer."""
        client, server = self.call(parent, "inventory", "GET" if "stock" in route else "POST", route, start)
        t = self.spans[server].start_ns + _ms(self.rng, 0.3)
        median = 3.0 * (8 if self.incident and self.incident.kind == "latency_spike" else 1)
        slow = self.rng.random() < 0.02  # a slow dependency now and then
        duration = _ms(self.rng, median, 0.6) * (self.rng.randint(10, 30) if slow else 1)
        db = self.open(
            "inventory",
            "SELECT stock",
            "client",
            t,
            server,
            **{
                "db.system.name": "postgresql",
                "db.operation.name": "SELECT",
                "db.collection.name": "stock",
                "server.address": "inventory-db",
                "db.query.text": "SELECT sku, qty FROM stock WHERE sku = ANY($1)",
            },
        )
        t = self.close(db, t + duration)
        if duration > 100 * MS:
            self.log(server, t, "WARN", f"slow query on stock took {duration // MS} ms", sku_count=items)
        self.log(server, t, "INFO", f"stock checked for {items} items", sku_count=items, route=route)
        return self.answer(client, server, t + _ms(self.rng, 0.5), 200)

    def charge(self, parent: int, start: int, provider: str, amount: float, currency: str) -> tuple[int, str]:
        """Payments charges a provider, retrying its errors; return (end, failure reason or '')."""
        client, server = self.call(parent, "payments", "POST", "/api/charge", start)
        t = self.spans[server].start_ns + _ms(self.rng, 0.5)
        outage = self.incident is not None and self.incident.kind == "payment_outage"
        fail_p = 0.75 if outage and self.incident.provider == provider else 0.01
        reason = ""
        for attempt in range(3):
            attrs = {
                "http.request.method": "POST",
                "server.address": PROVIDER_HOSTS[provider],
                "server.port": 443,
                "url.full": f"https://{PROVIDER_HOSTS[provider]}/v1/charges",
                "payment.provider": provider,
            }
            if attempt:
                attrs["http.request.resend_count"] = attempt
            out = self.open("payments", "POST", "client", t, server, **attrs)
            if self.rng.random() < 0.015:  # a declined card is an answer, not an error to retry
                t = self.close(out, t + _ms(self.rng, 180, 0.4))
                self.spans[out].attributes["http.response.status_code"] = 402
                reason = "card_declined"
                self.log(server, t, "WARN", f"card declined by {provider}", provider=provider)
                break
            if self.rng.random() >= fail_p:
                t = self.close(out, t + _ms(self.rng, 220, 0.4))
                self.spans[out].attributes["http.response.status_code"] = 200
                reason = ""
                self.log(server, t, "INFO", f"charged {amount:.2f} {currency} via {provider}", provider=provider)
                break
            t = self.close(out, t + _ms(self.rng, 900, 0.6), "HTTP 503")
            self.spans[out].attributes["http.response.status_code"] = 503
            reason = "provider_unavailable"
            self.log(server, t, "WARN", f"{provider} answered 503 (attempt {attempt + 1} of 3)", provider=provider)
            t += (100 << attempt) * MS  # back off before retrying
        if reason == "provider_unavailable":
            self.log(server, t, "ERROR", f"payment failed after 3 attempts at {provider}", provider=provider)
        status = {"": 200, "card_declined": 402, "provider_unavailable": 502}[reason]
        return self.answer(client, server, t, status, "provider unavailable"), reason

    def email(self, parent: int, start: int, template: str) -> None:
        """Queue an email; the email service sends it a little later (producer -> consumer)."""
        producer = self.open(
            self.spans[parent].service,
            f"publish {template}",
            "producer",
            start,
            parent,
            **{
                "messaging.system": "rabbitmq",
                "messaging.destination.name": "email",
                "messaging.operation.type": "publish",
            },
        )
        self.close(producer, start + _ms(self.rng, 1.0))
        t = start + _ms(self.rng, 40, 0.8)
        consumer = self.open(
            "email",
            f"process {template}",
            "consumer",
            t,
            producer,
            **{
                "messaging.system": "rabbitmq",
                "messaging.destination.name": "email",
                "messaging.operation.type": "process",
            },
        )
        smtp = self.open(
            "email",
            "SMTP send",
            "client",
            t + _ms(self.rng, 2),
            consumer,
            **{"server.address": "smtp.mailhost.internal", "server.port": 587},
        )
        end = self.close(smtp, self.spans[smtp].start_ns + _ms(self.rng, 120, 0.5))
        self.log(consumer, end, "INFO", f"sent {template} email", template=template)
        self.close(consumer, end + _ms(self.rng, 1))


def simulate_visit(rng: random.Random, start_ns: int, incident: Incident | None) -> Visit:
    """Plan one shop visit starting at start_ns: its spans, logs and business outcome."""
    country = _COUNTRY.pick(rng)
    currency, _, per_euro = COUNTRIES[country]
    kind = _KIND.pick(rng)
    plan = _Plan(rng, incident)
    method, route = {
        "browse": ("GET", "/products/{id}"),
        "abandon": ("POST", "/api/cart"),
        "checkout": ("POST", "/api/checkout"),
        "signup": ("POST", "/api/signup"),
    }[kind]
    root = plan.open(
        "frontend",
        f"{method} {route}",
        "server",
        start_ns,
        None,
        **{
            "http.request.method": method,
            "http.route": route,
            "url.scheme": "https",
            "client.address": f"203.0.113.{rng.randrange(1, 255)}",
            "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64)",
            "geo.country.iso_code": country,
        },
    )
    t = start_ns + _ms(rng, 1.5)
    outcome = Outcome("browse", country, currency)
    status = 200
    items = rng.randint(1, 4)
    if kind in ("browse", "abandon"):
        t = plan.inventory(root, t, "/api/stock", items)
        outcome.kind = kind
    elif kind == "signup":
        plan.email(root, t, "welcome")
        t += _ms(rng, 8)
        outcome.kind = "signup"
    else:
        amount = round(sum(rng.lognormvariate(math.log(25), 0.6) for _ in range(items)) * per_euro, 2)
        amount = float(round(amount)) if currency == "JPY" else amount
        client, server = plan.call(root, "checkout", "POST", "/api/orders", t)
        t = plan.inventory(server, plan.spans[server].start_ns + _ms(rng, 0.5), "/api/reserve", items)
        provider = _PROVIDER.pick(rng)
        t, reason = plan.charge(server, t + _ms(rng, 0.5), provider, amount, currency)
        outcome = Outcome("order", country, currency, amount, provider, reason)
        error = ""
        if reason:
            outcome.kind, status = "payment_failed", 402 if reason == "card_declined" else 502
            plan.log(server, t, "ERROR", f"order not placed: payment {reason.replace('_', ' ')}", provider=provider)
        elif rng.random() < 0.004:  # a bug that bites now and then
            outcome.kind, status, error = "error", 500, "KeyError: 'tax_rate'"
            plan.log(server, t, "ERROR", f"order failed: no tax rate for region {country}", country=country)
        else:
            order_id = f"o-{rng.randrange(16**8):08x}"
            plan.log(
                server,
                t,
                "INFO",
                f"order {order_id} placed: {items} items, {amount:.2f} {currency}",
                order_id=order_id,
                currency=currency,
                amount=amount,
            )
            plan.email(server, t + _ms(rng, 1), "order-confirmation")
            t += _ms(rng, 2)
        if error:
            plan.close(server, t, error, "KeyError")
            t = plan.close(client, t + _ms(rng, 0.4), "HTTP 500")
            for idx in (server, client):
                plan.spans[idx].attributes["http.response.status_code"] = 500
        else:
            t = plan.answer(client, server, t + _ms(rng, 1), status)
    end = t + _ms(rng, 2)
    plan.spans[root].attributes["http.response.status_code"] = status
    plan.close(root, end, f"HTTP {status}" if status >= 500 else "")
    level = "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"
    plan.log(root, end, level, f"{method} {route} {status} {(end - start_ns) / MS:.1f} ms", status=status)
    return Visit(plan.spans, outcome)
