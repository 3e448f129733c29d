"""Crash test: a 2xx means stored exactly once, whatever happens after.

Sender processes ingest continuously over OTLP/HTTP and OTLP/gRPC (a small opentelemetry-proto
client that knows each span's id, plus the real SDK exporter for realism) while the collector is
killed with SIGKILL at random moments and restarted. At the end every acknowledged span id must be
in ClickHouse exactly once, and no id may be stored twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.collector.crash.sender import span_id
from tests.conftest import free_port
from tests.otelhouse.test_cli import wait_http

KILLS = 5
SENDERS = 3
ROOT = Path(__file__).resolve().parents[2]


def start_collector(env: dict[str, str], log_file) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "otelhouse", "serve"], env=env, stderr=log_file, cwd=ROOT)


def sdk_sender(http_url: str, stop: Path) -> subprocess.Popen:
    code = f"""
import os, time
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
provider = TracerProvider(resource=Resource.create({{"service.name": "crash-sdk"}}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="{http_url}/v1/traces", timeout=5)))
tracer = provider.get_tracer("crash")
while not os.path.exists("{stop}"):
    with tracer.start_as_current_span("sdk-work"):
        time.sleep(0.002)
provider.shutdown()
"""
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_acknowledged_spans_survive_repeated_sigkill(tmp_path: Path) -> None:
    http, grpc_port, dash = free_port(), free_port(), free_port()
    chdb = tmp_path / "clickhouse"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")},
        "OTELHOUSE_CLICKHOUSE_URL": f"chdb://{chdb}",
        "OTELHOUSE_COLLECTOR_WAL_DIR": str(tmp_path / "wal"),
        "OTELHOUSE_COLLECTOR_HOST": "127.0.0.1",
        "OTELHOUSE_COLLECTOR_HTTP_PORT": str(http),
        "OTELHOUSE_COLLECTOR_GRPC_PORT": str(grpc_port),
        "OTELHOUSE_COLLECTOR_BATCH_AGE_MS": "100",
        "OTELHOUSE_DASHBOARD_HOST": "127.0.0.1",
        "OTELHOUSE_DASHBOARD_PORT": str(dash),
        "OTELHOUSE_RETENTION_ENABLED": "false",
        "OTELHOUSE_LOG_FORMAT": "json",
    }
    http_url = f"http://127.0.0.1:{http}"
    stop = tmp_path / "stop"
    log_path = tmp_path / "collector.log"
    rng = random.Random(int(os.environ.get("CRASH_SEED", time.time())))
    with open(log_path, "ab") as log_file:
        collector = start_collector(env, log_file)
        wait_http(f"{http_url}/healthz")
        senders = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.collector.crash.sender",
                    str(n),
                    http_url,
                    f"127.0.0.1:{grpc_port}",
                    str(tmp_path / f"acks-{n}"),
                    str(stop),
                ],
                cwd=ROOT,
            )
            for n in range(1, SENDERS + 1)
        ]
        senders.append(sdk_sender(http_url, stop))
        try:
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.5, 3.0))
                collector.send_signal(signal.SIGKILL)
                collector.wait(30)
                collector = start_collector(env, log_file)
                wait_http(f"{http_url}/healthz", timeout=120)
            time.sleep(1.0)
        finally:
            stop.touch()
            for sender in senders:
                sender.wait(60)
        try:
            wait_http(f"{http_url}/readyz", timeout=180)
        except Exception:
            print(log_path.read_text()[-4000:])
            raise
        collector.send_signal(signal.SIGTERM)  # stops after storing everything logged
        assert collector.wait(300) == 0, log_path.read_text()[-3000:]

    acked: set[str] = set()
    sent = 0
    for n in range(1, SENDERS + 1):
        for line in (tmp_path / f"acks-{n}").read_text().splitlines():
            if line.startswith("sent "):
                sent += int(line.split()[1])
                continue
            first, count = map(int, line.split())
            acked.update(span_id(n, first + i).hex() for i in range(count))
    out = subprocess.run(
        [sys.executable, "-m", "tests.collector.crash.count_ids", str(chdb)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stored = Counter({sid: int(c) for sid, c in (line.split() for line in out.splitlines())})
    ours = {sid: c for sid, c in stored.items() if int(sid, 16) >> 40 in range(1, SENDERS + 1)}
    missing = acked - set(ours)
    duplicates = {sid: c for sid, c in ours.items() if c > 1}
    print(
        f"\ncrash test: {KILLS} SIGKILLs; tracked spans sent {sent}, acknowledged {len(acked)}, "
        f"stored {len(ours)} (of which unacknowledged {len(set(ours) - acked)}), missing {len(missing)}, "
        f"duplicates {len(duplicates)}; SDK spans stored {sum(c for s, c in stored.items() if s not in ours)}"
    )
    assert len(acked) > 1000
    assert not missing
    assert not duplicates
