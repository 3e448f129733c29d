"""Outage with a real fault: the engine's data folder on a small tmpfs that fills up, then frees.

While ClickHouse cannot write, requests are still acknowledged from the write-ahead log (which
lives on another disk) and /readyz says why; once space returns, every acknowledged span is stored
exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.collector.crash.sender import SPANS, request, send_http, span_id
from tests.collector.test_crash import ROOT, start_collector
from tests.conftest import free_port, serve_env
from tests.otelhouse.test_cli import wait_http


def readyz(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_store_disk_full_then_freed(tmp_path: Path) -> None:
    chdb = tmp_path / "chdb"
    chdb.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(chdb)], check=True)
    http, grpc_port, dash = free_port(), free_port(), free_port()
    env = serve_env(f"chdb://{chdb}/data", tmp_path / "wal", http, grpc_port, dash)
    url = f"http://127.0.0.1:{http}"
    filler = chdb / "filler"
    acked: list[int] = []
    try:
        with open(tmp_path / "collector.log", "ab") as log_file:
            collector = start_collector(env, log_file)
            wait_http(f"{url}/readyz")
            for seq in range(0, 10 * SPANS, SPANS):
                assert send_http(url + "/v1/traces", request(1, seq))
                acked.append(seq)
            # fill the engine's disk: writes now fail with "not enough space"
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
            outage_first = len(acked) * SPANS
            deadline = time.monotonic() + 60
            status, body = readyz(url)
            while status == 200 and time.monotonic() < deadline:
                assert send_http(url + "/v1/traces", request(1, len(acked) * SPANS))
                acked.append(len(acked) * SPANS)
                time.sleep(0.05)
                status, body = readyz(url)
            assert status == 503, body
            assert any("storage is unavailable" in p and "write-ahead log" in p for p in body["problems"])
            for _ in range(20):  # still acknowledged, from the write-ahead log
                assert send_http(url + "/v1/traces", request(1, len(acked) * SPANS))
                acked.append(len(acked) * SPANS)
            filler.unlink()
            deadline = time.monotonic() + 120
            while readyz(url)[0] != 200:
                assert time.monotonic() < deadline, "the collector did not recover after space returned"
                time.sleep(0.2)
            collector.send_signal(signal.SIGTERM)
            assert collector.wait(120) == 0
        out = subprocess.run(
            [sys.executable, "-m", "tests.collector.crash.count_ids", f"{chdb}/data"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        subprocess.run(["umount", "-l", str(chdb)], check=False)
    stored = Counter({sid: int(c) for sig, sid, c in (line.split() for line in out.splitlines()) if sig == "traces"})
    expected = {span_id(1, seq + i).hex() for seq in acked for i in range(SPANS)}
    assert len(acked) * SPANS > outage_first  # some were acknowledged during the outage
    assert set(stored) == expected
    assert max(stored.values()) == 1
