"""A crash-test sender: spans with known ids over OTLP/HTTP and OTLP/gRPC, acknowledged ids to a file.

    python -m tests.collector.crash.sender SENDER_NO HTTP_URL GRPC_TARGET ACK_FILE STOP_FILE

Each request carries 50 spans whose span ids encode (sender, sequence). A request that fails is not
retried with the same ids (so an unacknowledged request that was in fact stored cannot come back as
a duplicate); the ids of every 2xx / OK go to ACK_FILE as "first_seq count" lines.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

SPANS = 50
METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def span_id(sender: int, seq: int) -> bytes:
    return ((sender << 40) | seq).to_bytes(8, "big")


def request(sender: int, first: int) -> bytes:
    req = tpb.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = f"crash-sender-{sender}"
    spans = rs.scope_spans.add().spans
    now = time.time_ns()
    for i in range(SPANS):
        span = spans.add(trace_id=os.urandom(16), span_id=span_id(sender, first + i), name="crash")
        span.start_time_unix_nano, span.end_time_unix_nano = now, now + 1000
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
    call = channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
    with open(ack_path, "a", buffering=1) as acks:
        while not os.path.exists(stop_path):
            body = request(number, seq)
            if seq // SPANS % 2:
                try:
                    call(body, timeout=10)
                    ok = True
                except grpc.RpcError:
                    ok = False
            else:
                ok = send_http(f"{http_url}/v1/traces", body)
            if ok:
                acks.write(f"{seq} {SPANS}\n")
            else:
                time.sleep(0.05)
            seq += SPANS
        acks.write(f"sent {seq}\n")
    channel.close()


if __name__ == "__main__":
    main()
