"""A crash-test sender: items with known ids over OTLP/HTTP and OTLP/gRPC, acknowledged ids to a file.

    python -m tests.collector.crash.sender SENDER_NO HTTP_URL GRPC_TARGET ACK_FILE STOP_FILE

Each request carries 50 items of one signal (spans, log records, or gauge points) whose ids encode
(sender, sequence): the span id of a span or a log record, the `crash.id` attribute of a point.
Requests rotate over the three signals, both protocols and the three storage routes (the resource
holds only scalars, an array, or kvlists nested deeper than the staging types). A request that fails
is not retried with the same ids (so an unacknowledged request that was in fact stored cannot come
back as a duplicate); the ids of every 2xx / OK go to ACK_FILE as "signal first_seq count" lines.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as lpb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as mpb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

SPANS = 50
SIGNALS = ("traces", "logs", "metrics")
ROUTES = ("flat", "native", "python")
METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
METHODS = {
    "traces": METHOD,
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}


def span_id(sender: int, seq: int) -> bytes:
    return ((sender << 40) | seq).to_bytes(8, "big")


def _resource(resource, sender: int, route: str) -> None:
    resource.attributes.add(key="service.name").value.string_value = f"crash-sender-{sender}"
    if route == "native":
        values = resource.attributes.add(key="crash.list").value.array_value.values
        values.add(string_value="a")
        values.add(int_value=2)
    elif route == "python":
        value: AnyValue = resource.attributes.add(key="crash.deep").value
        for level in range(4):  # kvlists deeper than the staging types hold
            value = value.kvlist_value.values.add(key=f"l{level}").value
        value.string_value = "bottom"


def request(sender: int, first: int, signal: str = "traces", route: str = "flat") -> bytes:
    """One request of SPANS items of `signal` with ids first..first+SPANS-1, shaped for `route`."""
    now = time.time_ns()
    if signal == "traces":
        req = tpb.ExportTraceServiceRequest()
        rs = req.resource_spans.add()
        _resource(rs.resource, sender, route)
        spans = rs.scope_spans.add().spans
        for i in range(SPANS):
            span = spans.add(trace_id=os.urandom(16), span_id=span_id(sender, first + i), name="crash")
            span.start_time_unix_nano, span.end_time_unix_nano = now, now + 1000
    elif signal == "logs":
        req = lpb.ExportLogsServiceRequest()
        rl = req.resource_logs.add()
        _resource(rl.resource, sender, route)
        records = rl.scope_logs.add().log_records
        for i in range(SPANS):
            record = records.add(time_unix_nano=now, trace_id=os.urandom(16), span_id=span_id(sender, first + i))
            record.body.string_value = "crash"
    else:
        req = mpb.ExportMetricsServiceRequest()
        rm = req.resource_metrics.add()
        _resource(rm.resource, sender, route)
        metric = rm.scope_metrics.add().metrics.add(name="crash.gauge")
        for i in range(SPANS):
            point = metric.gauge.data_points.add(time_unix_nano=now, as_double=float(i))
            point.attributes.add(key="crash.id").value.string_value = span_id(sender, first + i).hex()
    return req.SerializeToString()


def send_http(url: str, body: bytes) -> bool:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-protobuf"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> None:
    sender, http_url, grpc_target, ack_path, stop_path = sys.argv[1:6]
    number = int(sender)
    seq = 0
    channel = grpc.insecure_channel(grpc_target)
    calls = {s: channel.unary_unary(m, request_serializer=None, response_deserializer=None) for s, m in METHODS.items()}
    with open(ack_path, "a", buffering=1) as acks:
        while not os.path.exists(stop_path):
            n = seq // SPANS
            signal, route = SIGNALS[n % 3], ROUTES[n // 3 % 3]
            body = request(number, seq, signal, route)
            if n // 9 % 2:
                try:
                    calls[signal](body, timeout=10)
                    ok = True
                except grpc.RpcError:
                    ok = False
            else:
                ok = send_http(f"{http_url}/v1/{signal}", body)
            if ok:
                acks.write(f"{signal} {seq} {SPANS}\n")
            else:
                time.sleep(0.05)
            seq += SPANS
        acks.write(f"sent {seq}\n")
    channel.close()


if __name__ == "__main__":
    main()
