"""One collector process per module, warmed up, its peak RSS after warm-up taken as the baseline."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.collector.hostile.server import GoodSender, Server, start_reference, start_server
from tests.conftest import free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("hostile"))
    for protocol in ("http", "grpc"):
        sender = GoodSender(s, f"warmup-{protocol}", protocol)
        for i in range(5):
            sender._deliver(f"warmup-{protocol}-{i}", time.monotonic() + 30)
        s.acked.update(sender.acked)
    s.baseline_rss = s.status("VmHWM")
    s.reference_port = free_port()
    reference = start_reference(s.reference_port)
    try:
        wait_healthz(s.reference_port)
        yield s
    finally:
        s.stop()
        reference.terminate()
        reference.wait(30)


def wait_healthz(port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, "the reference server did not start"
            time.sleep(0.2)
