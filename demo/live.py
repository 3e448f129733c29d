"""The live demo: visits sent through the real OpenTelemetry SDK, one set of providers per service.

Each simulated service has its own TracerProvider, LoggerProvider and MeterProvider with its own
Resource and OTLP/HTTP exporters. A call between services carries W3C traceparent: the caller's
context is injected into a header dict with the SDK's propagator and extracted on the callee's side.
"""

from __future__ import annotations

import logging
import random
import resource
import threading
import time
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from demo.identity import SCOPE, resource_attributes
from demo.jsonlines import JSON_SHAPES, JsonLinesSink
from demo.measure import DURATION_BOUNDS, INSTRUMENTS, Measurement, gauge_measurements, visit_measurements
from demo.model import SERVICES, Visit, simulate_visit
from demo.timeline import incident_at, traffic_factor

log = logging.getLogger("otelhouse.demo")
KINDS = {
    "server": SpanKind.SERVER,
    "client": SpanKind.CLIENT,
    "internal": SpanKind.INTERNAL,
    "producer": SpanKind.PRODUCER,
    "consumer": SpanKind.CONSUMER,
}
SEVERITY = {
    "DEBUG": SeverityNumber.DEBUG,
    "INFO": SeverityNumber.INFO,
    "WARN": SeverityNumber.WARN,
    "ERROR": SeverityNumber.ERROR,
}
PROPAGATOR = TraceContextTextMapPropagator()
# delta points: a point is what happened in its interval, as the backfill's one-minute points are
DELTA = {Counter: AggregationTemporality.DELTA, Histogram: AggregationTemporality.DELTA}


@dataclass
class ServiceTelemetry:
    """One simulated service's SDK providers and instruments."""

    tracer: trace.Tracer
    logger: object
    instruments: dict[str, object]
    providers: tuple = field(default_factory=tuple)

    def record(self, m: Measurement) -> None:
        """Record a measurement on the instrument it names."""
        instrument = self.instruments[m.name]
        attrs = dict(m.attributes)
        if INSTRUMENTS[m.name].kind == "counter":
            instrument.add(m.value, attrs)
        elif INSTRUMENTS[m.name].kind == "histogram":
            instrument.record(m.value, attrs)
        else:
            instrument.set(m.value, attrs)


def _instruments(meter) -> dict[str, object]:
    out = {}
    for name, spec in INSTRUMENTS.items():
        if spec.kind == "counter":
            out[name] = meter.create_counter(name, spec.unit, spec.description)
        elif spec.kind == "histogram":
            out[name] = meter.create_histogram(
                name, spec.unit, spec.description, explicit_bucket_boundaries_advisory=DURATION_BOUNDS
            )
        else:
            out[name] = meter.create_gauge(name, spec.unit, spec.description)
    return out


def service_telemetry(service: str, endpoint: str, headers: dict[str, str], export_interval_s: float):
    """Build a service's TracerProvider, LoggerProvider and MeterProvider exporting OTLP/HTTP to endpoint."""
    res = Resource.create(resource_attributes(service))
    base = endpoint.rstrip("/")
    # shut down by LiveShop.shutdown, or not at all when the server is gone (nothing to flush to)
    tracer_provider = TracerProvider(resource=res, shutdown_on_exit=False)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(f"{base}/v1/traces", headers=headers), schedule_delay_millis=2000)
    )
    logger_provider = LoggerProvider(resource=res, shutdown_on_exit=False)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(f"{base}/v1/logs", headers=headers), schedule_delay_millis=2000)
    )
    exporter = OTLPMetricExporter(f"{base}/v1/metrics", headers=headers, preferred_temporality=DELTA)
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=export_interval_s * 1000)
    meter_provider = MeterProvider(metric_readers=[reader], resource=res, shutdown_on_exit=False)
    return ServiceTelemetry(
        tracer=tracer_provider.get_tracer(*SCOPE),
        logger=logger_provider.get_logger(*SCOPE),
        instruments=_instruments(meter_provider.get_meter(*SCOPE)),
        providers=(tracer_provider, logger_provider, meter_provider),
    )


class LiveShop:
    """Emit planned visits through the SDK as they happen."""

    def __init__(self, endpoint: str, headers: dict[str, str], export_interval_s: float) -> None:
        self.services = {s: service_telemetry(s, endpoint, headers, export_interval_s) for s in SERVICES}
        self.json = JsonLinesSink(endpoint, headers)

    def _context(self, visit: Visit, index: int, sdk_spans: list) -> Context:
        plan = visit.spans[index]
        if plan.parent is None:
            return Context()  # a new trace
        parent_ctx = trace.set_span_in_context(sdk_spans[plan.parent])
        if visit.spans[plan.parent].service == plan.service:
            return parent_ctx
        # another service: the context travels as a W3C traceparent header
        headers: dict[str, str] = {}
        PROPAGATOR.inject(headers, context=parent_ctx)
        return PROPAGATOR.extract(headers)

    def emit(self, visit: Visit) -> None:
        """Send one visit's spans, logs and measurements."""
        sdk_spans: list = []
        for i, plan in enumerate(visit.spans):
            tel = self.services[plan.service]
            span = tel.tracer.start_span(
                plan.name,
                context=self._context(visit, i, sdk_spans),
                kind=KINDS[plan.kind],
                attributes=plan.attributes,
                start_time=plan.start_ns,
            )
            sdk_spans.append(span)
            if plan.error:
                if plan.exception:
                    attrs = {"exception.type": plan.exception, "exception.message": plan.error}
                    span.add_event("exception", attrs, timestamp=plan.end_ns)
                span.set_status(Status(StatusCode.ERROR, plan.error))
            ctx = span.get_span_context()
            for line in plan.logs:
                if plan.service in JSON_SHAPES:
                    self.json.add(plan.service, line, f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}")
                else:
                    tel.logger.emit(
                        timestamp=line.time_ns,
                        context=trace.set_span_in_context(span),
                        severity_number=SEVERITY[line.severity],
                        severity_text=line.severity,
                        body=line.body,
                        attributes=line.attributes,
                    )
        for span, plan in zip(sdk_spans, visit.spans, strict=True):
            span.end(end_time=plan.end_ns)
        for m in visit_measurements(visit):
            self.services[m.service].record(m)

    def set_gauges(self, measurements: list[Measurement]) -> None:
        for m in measurements:
            self.services[m.service].record(m)

    def shutdown(self) -> None:
        """Flush and stop every provider (what is buffered is sent first)."""
        self.json.flush()
        for tel in self.services.values():
            for provider in tel.providers:
                provider.shutdown()


def _shift_to_now(visit: Visit) -> None:
    """Move a plan made on a virtual clock so the visit ends now: every timestamp is past when sent."""
    shift = time.time_ns() - max(s.end_ns for s in visit.spans)
    for span in visit.spans:
        span.start_ns, span.end_ns = span.start_ns + shift, span.end_ns + shift
        for line in span.logs:
            line.time_ns += shift


def run_live(shop: LiveShop, stop: threading.Event, visits_per_second: float, seed: int) -> int:
    """Simulate visits as a Poisson process shaped by the seasonality until `stop` is set; return the count."""
    rng = random.Random(seed)
    visits = 0
    current = None
    next_visit = time.monotonic() + rng.expovariate(visits_per_second * traffic_factor(time.time()))
    next_flush = time.monotonic() + 2
    while not stop.wait(max(0.0, min(next_visit, next_flush) - time.monotonic())):
        now = time.time()
        incident = incident_at(now, seed)
        if incident != current and incident is not None:
            log.info(f"demo incident started: {incident.describe()}", extra={"incident": incident.kind})
        current = incident
        if time.monotonic() >= next_visit:
            visit = simulate_visit(rng, 0, incident)
            _shift_to_now(visit)
            shop.emit(visit)
            visits += 1
            next_visit = time.monotonic() + rng.expovariate(visits_per_second * traffic_factor(now))
        if time.monotonic() >= next_flush:
            shop.set_gauges(gauge_measurements(now, incident, rng))
            shop.json.flush()
            next_flush = time.monotonic() + 2
    return visits


def cpu_seconds() -> float:
    """Return this process's CPU time so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
