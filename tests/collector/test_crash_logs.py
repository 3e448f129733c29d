"""Crash test for the log receivers: JSON lines and Loki pushes acknowledged are stored exactly once.

Sender processes post JSON lines and Loki protobuf pushes whose lines carry known ids while the
collector is killed with SIGKILL at random moments and restarted; afterwards every acknowledged id
must be stored once, and no id twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.collector.crash.log_sender import seq_id
from tests.collector.test_crash import ROOT, start_collector
from tests.conftest import free_port
from tests.otelhouse.test_cli import wait_http

KILLS = 3
SENDERS = 2
COUNT = """
import sys, clickhouse_connect
client = clickhouse_connect.get_client(interface="chdb", path=sys.argv[1])
sql = "SELECT LogAttributes['seq'], count() FROM default.otel_logs WHERE ServiceName LIKE 'crash-%' GROUP BY 1"
for seq, n in client.query(sql).result_rows:
    print(seq, n)
"""


@pytest.mark.slow
def test_acknowledged_lines_survive_repeated_sigkill(tmp_path: Path) -> None:
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
        "OTELHOUSE_DEMO_ENABLED": "false",
        "OTELHOUSE_LOG_FORMAT": "json",
    }
    http_url = f"http://127.0.0.1:{http}"
    stop = tmp_path / "stop"
    log_path = tmp_path / "collector.log"
    rng = random.Random(int(os.environ.get("CRASH_SEED", time.time())))
    with open(log_path, "ab") as log_file:
        collector = start_collector(env, log_file)
        wait_http(f"{http_url}/healthz", timeout=120)
        senders = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.collector.crash.log_sender",
                    str(n),
                    http_url,
                    str(tmp_path / f"acks-{n}"),
                    str(stop),
                ],
                cwd=ROOT,
            )
            for n in range(1, SENDERS + 1)
        ]
        try:
            for _ in range(KILLS):
                time.sleep(rng.uniform(1.0, 4.0))
                collector.send_signal(signal.SIGKILL)
                collector.wait(30)
                collector = start_collector(env, log_file)
                wait_http(f"{http_url}/healthz", timeout=120)
            time.sleep(2.0)
        finally:
            stop.touch()
            for sender in senders:
                sender.wait(60)
        wait_http(f"{http_url}/readyz", timeout=180)
        collector.send_signal(signal.SIGTERM)  # stops after storing everything logged
        assert collector.wait(300) == 0, log_path.read_text()[-3000:]

    acked: set[str] = set()
    for n in range(1, SENDERS + 1):
        for line in (tmp_path / f"acks-{n}").read_text().splitlines():
            if not line.startswith("sent "):
                first, count = map(int, line.split())
                acked.update(seq_id(n, first + i) for i in range(count))
    out = subprocess.run([sys.executable, "-c", COUNT, str(chdb)], cwd=ROOT, capture_output=True, text=True, check=True)
    stored = {seq: int(n) for seq, n in (line.split() for line in out.stdout.splitlines())}
    missing = acked - set(stored)
    duplicates = {seq: n for seq, n in stored.items() if n > 1}
    print(
        f"\nlog crash test: {KILLS} SIGKILLs; acknowledged {len(acked)}, stored {len(stored)}, missing {len(missing)}"
    )
    assert len(acked) > 500
    assert not missing
    assert not duplicates
