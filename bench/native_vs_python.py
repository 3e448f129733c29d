"""Micro-benchmark: rows/s stored by each storage route: flat and native (ClickHouse decodes OTLP), python.

Not a test. Builds realistic requests (100 items, ~10 scalar attributes each), then per signal:
decode_protobuf cost per item, and write_payloads throughput per route in 50k-item batches, on a
throwaway embedded engine. The requests' values are all scalars, so the collector would route them
FLAT; NATIVE is what the same rows cost when a request holds arrays or kvlists.
Usage: .venv/bin/python bench/native_vs_python.py [items]
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import clickhouse_connect
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collector.app import EMBEDDED_INSERT_THREADS
from collector.otlp.decode import decode_protobuf
from collector.otlp.model import Payload, Route, Signal
from storage.migrate import apply_migrations
from storage.schema import SchemaOptions
from storage.writer import write_payloads

PER_REQUEST = 100
BATCH = 50_000
PER_BATCH = BATCH // PER_REQUEST  # requests per insert
NOW = time.time_ns()


def _attrs(target, i: int, n: int = 10) -> None:
    for k in range(n):
        kv = target.add(key=f"attr.{k}")
        if k % 3 == 0:
            kv.value.int_value = i * k
        else:
            kv.value.string_value = f"value-{(i + k) % 50}"


def _resource(r, n: int) -> None:
    r.resource.attributes.add(key="service.name").value.string_value = f"svc-{n % 5}"
    _attrs(r.resource.attributes, n, 6)


def trace_body(n: int) -> bytes:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    _resource(rs, n)
    ss = rs.scope_spans.add()
    ss.scope.name = "bench"
    for i in range(PER_REQUEST):
        s = ss.spans.add(trace_id=(n * 1000 + i + 1).to_bytes(16, "big"), span_id=(i + 1).to_bytes(8, "big"))
        s.name, s.kind, s.start_time_unix_nano, s.end_time_unix_nano = f"GET /{i % 20}", 2, NOW + i, NOW + i + 5000
        _attrs(s.attributes, i)
        if i % 10 == 0:
            s.events.add(time_unix_nano=NOW + i, name="ev")
    return req.SerializeToString()


def log_body(n: int) -> bytes:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    _resource(rl, n)
    sl = rl.scope_logs.add()
    for i in range(PER_REQUEST):
        r = sl.log_records.add(time_unix_nano=NOW + i, severity_number=9, severity_text="INFO")
        r.body.string_value = f"request {i} handled in {i % 97} ms"
        _attrs(r.attributes, i, 6)
    return req.SerializeToString()


def metric_body(n: int) -> bytes:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    _resource(rm, n)
    sm = rm.scope_metrics.add()
    for j, kind in enumerate(("gauge", "sum", "histogram", "gauge")):
        m = sm.metrics.add(name=f"metric.{kind}.{j}")
        data = getattr(m, kind)
        for i in range(PER_REQUEST // 4):
            p = data.data_points.add(time_unix_nano=NOW + i)
            _attrs(p.attributes, i, 4)
            if kind == "histogram":
                p.count, p.sum = 10, 5.0
                p.bucket_counts.extend([1, 2, 3, 4])
                p.explicit_bounds.extend([1.0, 5.0, 10.0])
            else:
                p.as_double = i * 0.5
    return req.SerializeToString()


def rate(label: str, items: int, fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    print(f"  {label:<34} {items / dt:>12,.0f} items/s  ({dt:.2f} s)")
    return items / dt


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    requests = total // PER_REQUEST
    client = clickhouse_connect.get_client(interface="chdb", path=tempfile.mkdtemp(prefix="bench-ch-"))
    builders = {Signal.TRACES: trace_body, Signal.LOGS: log_body, Signal.METRICS: metric_body}
    for signal, build in builders.items():
        bodies = [build(n) for n in range(requests)]
        print(f"{signal}: {total:,} items in {requests} requests of {PER_REQUEST}")
        payloads: list[Payload] = []
        rate(
            "decode_protobuf",
            total,
            lambda b=bodies, p=payloads, s=signal: p.extend(decode_protobuf(s, x).payload for x in b),
        )  # type: ignore[misc]
        results = {}
        for route in (Route.PYTHON, Route.NATIVE, Route.FLAT):
            opts = SchemaOptions(database=f"bench_{uuid.uuid4().hex[:8]}")
            apply_migrations(client, opts)
            routed = [Payload(p.signal, route, p.body, p.items) for p in payloads]

            def write(routed: list[Payload] = routed, opts: SchemaOptions = opts) -> None:
                for i in range(0, len(routed), PER_BATCH):
                    write_payloads(client, opts, routed[i : i + PER_BATCH], max_threads=EMBEDDED_INSERT_THREADS)

            results[route] = rate(f"write_payloads {route} ({BATCH:,}/batch)", total, write)
            client.command(f"DROP DATABASE {opts.database}")
        print(
            f"  native / python: {results[Route.NATIVE] / results[Route.PYTHON]:.2f}x"
            f"   flat / python: {results[Route.FLAT] / results[Route.PYTHON]:.2f}x"
        )


if __name__ == "__main__":
    main()
