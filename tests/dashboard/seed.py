"""Seed known telemetry through a live collector with the real OpenTelemetry SDK (and OTLP for metrics).

Three services call each other: frontend -> cart -> payments. Durations, errors and times are chosen
here, so tests compute the expected figures from what the SDK recorded, not from ClickHouse.
"""

from __future__ import annotations

import random
import time
import urllib.request
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as mpb
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

MS = 1_000_000
SERVICES = ("frontend", "cart", "payments")


@dataclass
class Seeded:
    start_ns: int  # every seeded item is in [start_ns, end_ns)
    end_ns: int
    spans: list[ReadableSpan] = field(default_factory=list)
    logs: list[tuple[int, str, int, str, str]] = field(default_factory=list)  # ts, service, number, body, trace id
    traced_trace_id: str = ""


def entry_spans(seeded: Seeded, service: str) -> list[ReadableSpan]:
    """Return a service's server and consumer spans among the seeded ones."""
    kinds = (SpanKind.SERVER, SpanKind.CONSUMER)
    return [s for s in seeded.spans if s.resource.attributes["service.name"] == service and s.kind in kinds]


def _providers(http_url: str, memories: list[InMemorySpanExporter]) -> dict[str, TracerProvider]:
    out = {}
    for name in SERVICES:
        memory = InMemorySpanExporter()  # one each: a provider's shutdown shuts its exporters
        memories.append(memory)
        provider = TracerProvider(resource=Resource.create({"service.name": name, "deployment.environment": "test"}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{http_url}/v1/traces")))
        provider.add_span_processor(BatchSpanProcessor(memory))
        out[name] = provider
    return out


def seed_traces(http_url: str, requests: int = 60, seed: int = 7, at_ns: int | None = None) -> Seeded:
    """Send `requests` three-service traces, 10 s apart from `at_ns` (default 20 minutes ago); payments fails
    every 7th request."""
    rnd = random.Random(seed)
    memories: list[InMemorySpanExporter] = []
    providers = _providers(http_url, memories)
    tracers = {n: p.get_tracer(f"{n}.handlers", "1.0") for n, p in providers.items()}
    now = time.time_ns()
    start = now - 20 * 60 * 10**9 if at_ns is None else at_ns
    for i in range(requests):
        t0 = start + i * 10 * 10**9
        total = rnd.randint(20, 400) * MS
        root = tracers["frontend"].start_span(
            "GET /checkout",
            kind=SpanKind.SERVER,
            start_time=t0,
            attributes={"http.route": "/checkout", "user": f"u{i % 5}"},
        )
        ctx = trace.set_span_in_context(root)
        call = tracers["frontend"].start_span("POST /cart", context=ctx, kind=SpanKind.CLIENT, start_time=t0 + MS)
        cart = tracers["cart"].start_span(
            "POST /cart", context=trace.set_span_in_context(call), kind=SpanKind.SERVER, start_time=t0 + 2 * MS
        )
        pay_call = tracers["cart"].start_span(
            "charge", context=trace.set_span_in_context(cart), kind=SpanKind.CLIENT, start_time=t0 + 3 * MS
        )
        pay = tracers["payments"].start_span(
            "charge", context=trace.set_span_in_context(pay_call), kind=SpanKind.SERVER, start_time=t0 + 4 * MS
        )
        pay_end = t0 + 4 * MS + rnd.randint(5, int(total / MS) - 10) * MS
        if i % 7 == 3:
            try:
                raise TimeoutError("card network timeout after 3000 ms")
            except TimeoutError as exc:
                pay.record_exception(exc, timestamp=pay_end - MS)
            pay.set_status(Status(StatusCode.ERROR, "card network timeout"))
            pay_call.set_status(Status(StatusCode.ERROR))
        pay.end(end_time=pay_end)
        pay_call.end(end_time=pay_end + MS // 2)
        cart.end(end_time=pay_end + MS)
        call.end(end_time=pay_end + 2 * MS)
        root.end(end_time=t0 + total)
    for p in providers.values():
        p.shutdown()
    spans = [s for m in memories for s in m.get_finished_spans()]
    return Seeded(start_ns=start - 10**9, end_ns=now, spans=spans)


def seed_logs(http_url: str, seeded: Seeded, seed: int = 11) -> None:
    """Send log lines of known severities and times, some inside the seeded traces."""
    rnd = random.Random(seed)
    levels = [
        (SeverityNumber.DEBUG, "DEBUG"),
        (SeverityNumber.INFO, "INFO"),
        (SeverityNumber.WARN, "WARN"),
        (SeverityNumber.ERROR, "ERROR"),
    ]
    roots = sorted((s for s in seeded.spans if s.parent is None), key=lambda s: s.start_time)
    for name in SERVICES:
        provider = LoggerProvider(resource=Resource.create({"service.name": name}))
        provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{http_url}/v1/logs")))
        logger = provider.get_logger(f"{name}.log")
        for i in range(50):
            number, text = rnd.choice(levels)
            ts = seeded.start_ns + 10**9 + rnd.randint(0, (seeded.end_ns - seeded.start_ns - 2 * 10**9) // MS) * MS
            body = f"{name} request {i} handled for user-{i % 4}" + (" with timeout" if i % 9 == 0 else "")
            attrs = {"request.id": f"r{i}", "region": "eu" if i % 2 else "us"}
            ctx, trace_id = None, 0
            if name == "frontend":  # a line inside the trace of request 59 - i (so every error trace has one)
                root = roots[len(roots) - 1 - i]
                ctx = trace.set_span_in_context(trace.NonRecordingSpan(root.context))
                trace_id, ts = root.context.trace_id, root.start_time + MS
            logger.emit(
                timestamp=ts,
                severity_number=number,
                severity_text=text,
                body=body,
                attributes=attrs,
                context=ctx,
            )
            seeded.logs.append((ts, name, int(number.value), body, f"{trace_id:032x}" if trace_id else ""))
        provider.shutdown()


def post_raw(http_url: str, path: str, body: bytes) -> None:
    """POST an OTLP/HTTP protobuf body and require a 200."""
    req = urllib.request.Request(f"{http_url}{path}", data=body, headers={"Content-Type": "application/x-protobuf"})
    with urllib.request.urlopen(req, timeout=60) as res:
        assert res.status == 200


def post_metrics(http_url: str, request: mpb.ExportMetricsServiceRequest) -> None:
    """POST an OTLP/HTTP protobuf metrics request and require a 200."""
    post_raw(http_url, "/v1/metrics", request.SerializeToString())
