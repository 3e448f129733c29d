"""Realistic OTLP requests for the benchmarks: spans, log records and metric points."""

from __future__ import annotations

import json
import os
import random
import time

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lpb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as mpb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

from demo.otlp import set_attributes

SERVICES = ("checkout", "cart", "payments", "search", "frontend")
ROUTES = ("/api/cart", "/api/pay", "/api/search", "/api/items/{id}", "/healthz")


def _resource(rs, service: str) -> None:
    set_attributes(
        rs.resource.attributes,
        {"service.name": service, "service.version": "1.4.2", "host.name": f"{service}-7d9f", "k8s.pod.uid": "a1b2"},
    )


def trace_request(spans: int, rng: random.Random) -> tpb.ExportTraceServiceRequest:
    """A request of `spans` spans in traces of 10, with ~8 attributes and an event on some."""
    req = tpb.ExportTraceServiceRequest()
    now = time.time_ns()
    per_service = max(1, spans // len(SERVICES))
    for service in SERVICES:
        rs = req.resource_spans.add()
        _resource(rs, service)
        ss = rs.scope_spans.add()
        ss.scope.name, ss.scope.version = "io.opentelemetry.http", "2.1.0"
        trace_id = b""
        for i in range(per_service):
            if i % 10 == 0:
                trace_id = rng.randbytes(16)
            span = ss.spans.add(trace_id=trace_id, span_id=rng.randbytes(8), name=rng.choice(ROUTES))
            if i % 10:
                span.parent_span_id = rng.randbytes(8)
            span.kind = 2 if i % 10 == 0 else 3
            span.start_time_unix_nano = now - rng.randrange(10**9)
            span.end_time_unix_nano = span.start_time_unix_nano + rng.randrange(10**4, 10**8)
            set_attributes(
                span.attributes,
                {
                    "http.request.method": "GET",
                    "http.route": span.name,
                    "http.response.status_code": 200 if i % 17 else 500,
                    "url.scheme": "https",
                    "server.address": "api.internal",
                    "user_agent.original": "Mozilla/5.0",
                    "net.peer.port": 443,
                    "sampled": True,
                },
            )
            if i % 17 == 0:
                span.status.code = 2
                span.status.message = "upstream timeout"
                event = span.events.add(time_unix_nano=span.end_time_unix_nano, name="exception")
                set_attributes(event.attributes, {"exception.type": "TimeoutError", "exception.message": "deadline"})
    return req


def log_request(records: int, rng: random.Random) -> lpb.ExportLogsServiceRequest:
    """A request of `records` log records with ~5 attributes, a third of them with trace context."""
    req = lpb.ExportLogsServiceRequest()
    now = time.time_ns()
    per_service = max(1, records // len(SERVICES))
    levels = ((9, "INFO"), (9, "INFO"), (5, "DEBUG"), (13, "WARN"), (17, "ERROR"))
    for service in SERVICES:
        rl = req.resource_logs.add()
        _resource(rl, service)
        sl = rl.scope_logs.add()
        sl.scope.name = "logrus"
        for i in range(per_service):
            number, text = rng.choice(levels)
            rec = sl.log_records.add(time_unix_nano=now - rng.randrange(10**9), severity_number=number)
            rec.severity_text = text
            rec.body.string_value = (
                f"order {rng.randrange(10**6)} processed in {rng.randrange(500)} ms for tenant t{i % 13}"
            )
            if i % 3 == 0:
                rec.trace_id, rec.span_id, rec.flags = rng.randbytes(16), rng.randbytes(8), 1
            set_attributes(
                rec.attributes,
                {
                    "tenant": f"t{i % 13}",
                    "order.id": rng.randrange(10**6),
                    "component": "worker",
                    "retry": i % 4,
                    "region": "eu-west-1",
                },
            )
    return req


def metric_request(points: int, rng: random.Random) -> mpb.ExportMetricsServiceRequest:
    """A request of `points` data points: gauges, cumulative sums and histograms with 3 attributes."""
    req = mpb.ExportMetricsServiceRequest()
    now = time.time_ns()
    per_service = max(3, points // len(SERVICES))
    for service in SERVICES:
        rm = req.resource_metrics.add()
        _resource(rm, service)
        sm = rm.scope_metrics.add()
        sm.scope.name = "io.opentelemetry.runtime"
        third = per_service // 3
        gauge = sm.metrics.add(name="process.memory.usage", unit="By")
        total = sm.metrics.add(name="http.server.requests", unit="1")
        total.sum.aggregation_temporality, total.sum.is_monotonic = 2, True
        hist = sm.metrics.add(name="http.server.duration", unit="ms")
        hist.histogram.aggregation_temporality = 2
        bounds = [5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0]
        for i in range(third):
            labels = {"http.route": ROUTES[i % len(ROUTES)], "instance": f"i{i}", "zone": "a"}
            g = gauge.gauge.data_points.add(time_unix_nano=now, as_double=rng.random() * 1e9)
            set_attributes(g.attributes, labels)
            s = total.sum.data_points.add(start_time_unix_nano=now - 10**10, time_unix_nano=now, as_int=i * 7)
            set_attributes(s.attributes, labels)
            counts = [rng.randrange(100) for _ in range(len(bounds) + 1)]
            h = hist.histogram.data_points.add(
                start_time_unix_nano=now - 10**10, time_unix_nano=now, count=sum(counts), sum=rng.random() * 1e4
            )
            h.bucket_counts.extend(counts)
            h.explicit_bounds.extend(bounds)
            set_attributes(h.attributes, labels)
    return req


def json_lines_body(lines: int, rng: random.Random) -> bytes:
    """NDJSON of `lines` logrus-shaped log lines (level, msg, time, fields), a third with trace context."""
    now = time.time_ns()
    out = []
    for i in range(lines):
        seconds, nanos = divmod(now - rng.randrange(10**9), 10**9)
        line = {
            "level": rng.choice(("info", "info", "debug", "warning", "error")),
            "msg": f"order {rng.randrange(10**6)} processed in {rng.randrange(500)} ms for tenant t{i % 13}",
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z",
            "tenant": f"t{i % 13}",
            "order_id": rng.randrange(10**6),
            "component": "worker",
            "retry": i % 4,
            "region": "eu-west-1",
        }
        if i % 3 == 0:
            line["trace_id"], line["span_id"] = rng.randbytes(16).hex(), rng.randbytes(8).hex()
        out.append(json.dumps(line))
    return ("\n".join(out) + "\n").encode()


BUILDERS = {"traces": trace_request, "logs": log_request, "metrics": metric_request}


def item_count(signal: str, req) -> int:
    """Count spans, log records or data points in a request."""
    if signal == "traces":
        return sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
    if signal == "logs":
        return sum(len(sl.log_records) for rl in req.resource_logs for sl in rl.scope_logs)
    total = 0
    for rm in req.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                total += len(getattr(m, kind).data_points)
    return total


def bodies(signal: str, items_per_request: int, count: int, seed: int | None = None) -> list[tuple[bytes, int]]:
    """Serialized distinct requests with their item counts."""
    rng = random.Random(seed if seed is not None else os.getpid())
    if signal == "jsonlines":
        return [(json_lines_body(items_per_request, rng), items_per_request) for _ in range(count)]
    out = []
    for _ in range(count):
        req = BUILDERS[signal](items_per_request, rng)
        out.append((req.SerializeToString(), item_count(signal, req)))
    return out


class FreshIds:
    """A serialized request that yields a copy with fresh random trace and span ids on every call.

    The template is cut into constant pieces around the ids; a request is the pieces joined with new
    random ids (an id repeated in the template, such as a trace id, gets the same new value each time
    it occurs). That costs tens of microseconds per 100 spans, where building and serializing a new
    request costs milliseconds: a sender can offer never-repeated requests at hundreds per second.
    """

    def __init__(self, body: bytes, ids: list[bytes]) -> None:
        distinct = list(dict.fromkeys(i for i in ids if i))
        starts = {}  # offset in the body -> (index of the distinct id, its length)
        for index, ident in enumerate(distinct):
            at = body.find(ident)
            while at >= 0:
                starts[at] = (index, len(ident))
                at = body.find(ident, at + len(ident))
        self.pieces: list[bytes] = []
        self.slots: list[tuple[int, int]] = []  # per id occurrence: where its bytes start in the fresh block
        offsets = [0]
        for ident in distinct:
            offsets.append(offsets[-1] + len(ident))
        self.random_bytes = offsets[-1]
        pos = 0
        for at in sorted(starts):
            index, n = starts[at]
            self.pieces.append(body[pos:at])
            self.slots.append((offsets[index], n))
            pos = at + n
        self.tail = body[pos:]

    def __call__(self) -> bytes:
        fresh = os.urandom(self.random_bytes)
        parts = []
        for piece, (at, n) in zip(self.pieces, self.slots, strict=True):
            parts.append(piece)
            parts.append(fresh[at : at + n])
        parts.append(self.tail)
        return b"".join(parts)


def request_ids(signal: str, req) -> list[bytes]:
    """Return every trace, span and parent span id in a request (none for metrics)."""
    if signal == "traces":
        return [
            ident
            for rs in req.resource_spans
            for ss in rs.scope_spans
            for span in ss.spans
            for ident in (span.trace_id, span.span_id, span.parent_span_id)
        ]
    if signal == "logs":
        return [
            i
            for rl in req.resource_logs
            for sl in rl.scope_logs
            for r in sl.log_records
            for i in (r.trace_id, r.span_id)
        ]
    return []


def fresh_bodies(signal: str, items_per_request: int, count: int, seed: int) -> list[tuple[FreshIds, int]]:
    """Templates that give requests with fresh ids, with their item counts."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        req = BUILDERS[signal](items_per_request, rng)
        out.append((FreshIds(req.SerializeToString(), request_ids(signal, req)), item_count(signal, req)))
    return out
