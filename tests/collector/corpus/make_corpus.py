"""Regenerate the bad-input corpus: one file per case, described in expected.toml.

Run: .venv/bin/python tests/collector/corpus/make_corpus.py. Timestamps are fixed (2024-06-01), so
the files never change; the corpus test runs a collector whose tables keep data forever (TTL 0).
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

import zstandard
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.storage.otlp_samples import fill  # noqa: E402

T = 1_717_200_000 * 10**9  # 2024-06-01T00:00:00Z
BOMB_BYTES = 80 * 1024 * 1024  # above the default collector.max_decompressed_bytes (64 MiB)


def traces(n: int = 3) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    fill(rs.resource.attributes.add(key="service.name").value, "corpus")
    ss = rs.scope_spans.add()
    for i in range(n):
        ss.spans.add(
            trace_id=bytes(range(1, 17)),
            span_id=(i + 1).to_bytes(8, "big"),
            name=f"op{i}",
            start_time_unix_nano=T + i,
            end_time_unix_nano=T + i + 1000,
        )
    return req


def spans_of(req: ExportTraceServiceRequest):
    return req.resource_spans[0].scope_spans[0].spans


def logs() -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    records = req.resource_logs.add().scope_logs.add().log_records
    for i in range(3):
        records.add(time_unix_nano=T + i).body.string_value = f"PLACEHOLDER{i}"
    return req


def cases() -> dict[str, bytes]:
    rng = random.Random(5)
    out: dict[str, bytes] = {}
    out["traces-random-bytes.bin"] = rng.randbytes(4096)
    out["traces-truncated.pb"] = traces().SerializeToString()[:-7]
    out["traces-invalid-varint.pb"] = b"\xff" * 64
    out["traces-empty.pb"] = b""
    out["traces-gzip-bomb.gz"] = gzip.compress(b"\0" * BOMB_BYTES, compresslevel=9)
    out["traces-zstd-bomb.zst"] = zstandard.ZstdCompressor(level=19).compress(b"\0" * BOMB_BYTES)
    out["traces-corrupt-gzip.gz"] = b"\x1f\x8b\x08\x00not gzip at all"
    out["traces-truncated-gzip.gz"] = gzip.compress(traces().SerializeToString())[:-10]
    bad_ids = traces()
    spans_of(bad_ids)[0].trace_id = b"\x01\x02\x03"
    spans_of(bad_ids)[1].span_id = bytes(8)
    out["traces-bad-ids.pb"] = bad_ids.SerializeToString()
    times = traces(4)
    spans_of(times)[0].start_time_unix_nano = 0
    spans_of(times)[1].start_time_unix_nano = (1 << 64) - 1
    spans_of(times)[2].start_time_unix_nano = 4_000_000_000 * 10**9  # 2096: far future
    out["traces-timestamps-out-of-range.pb"] = times.SerializeToString()
    many = traces()
    for k in range(200):
        spans_of(many)[0].attributes.add(key=f"k{k}").value.int_value = k
    out["traces-too-many-attributes.pb"] = many.SerializeToString()
    deep = traces()
    nested: object = "leaf"
    for _ in range(40):
        nested = [nested]
    fill(spans_of(deep)[0].attributes.add(key="deep").value, nested)
    out["traces-deep-anyvalue.pb"] = deep.SerializeToString()
    long = traces(1)
    fill(spans_of(long)[0].attributes.add(key="long").value, "x" * 70_000)
    out["traces-long-value.pb.gz"] = gzip.compress(long.SerializeToString())
    nameless = traces(2)
    spans_of(nameless)[0].name = ""
    out["traces-empty-name.pb"] = nameless.SerializeToString()
    utf8 = logs().SerializeToString().replace(b"PLACEHOLDER1", b"bad \xff\xfe text!")  # same length as the placeholder
    out["logs-invalid-utf8.pb"] = utf8
    out["logs-not-json.json"] = b'{"resourceLogs": [}'
    out["logs-json-bad-trace-id.json"] = json.dumps(
        {
            "resourceLogs": [
                {
                    "scopeLogs": [
                        {"logRecords": [{"timeUnixNano": str(T), "traceId": "zz", "body": {"stringValue": "x"}}]}
                    ]
                }
            ]
        }
    ).encode()
    out["metrics-nan.json"] = json.dumps(
        {
            "resourceMetrics": [
                {
                    "scopeMetrics": [
                        {
                            "metrics": [
                                {
                                    "name": "corpus.gauge",
                                    "gauge": {
                                        "dataPoints": [
                                            {"timeUnixNano": str(T), "asDouble": "NaN"},
                                            {"timeUnixNano": str(T + 1), "asDouble": "Infinity"},
                                            {"timeUnixNano": str(T + 2), "asDouble": "-Infinity"},
                                        ]
                                    },
                                },
                                {"name": "", "gauge": {"dataPoints": [{"timeUnixNano": str(T), "asInt": "1"}]}},
                            ]
                        }
                    ]
                }
            ]
        }
    ).encode()
    return out


def main() -> None:
    for name, data in cases().items():
        (HERE / name).write_bytes(data)
    total = sum(p.stat().st_size for p in HERE.iterdir())
    print(f"wrote {len(cases())} files; corpus folder {total:,} bytes")


if __name__ == "__main__":
    main()
