"""One collector process per module, warmed up, its peak RSS after warm-up taken as the baseline."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.collector.hostile.server import GoodSender, HealthProbe, Server, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("hostile"))
    for protocol in ("http", "grpc"):
        sender = GoodSender(s, f"warmup-{protocol}", protocol)
        for i in range(5):
            sender._deliver(f"warmup-{protocol}-{i}", time.monotonic() + 30)
        s.acked.update(sender.acked)
    with HealthProbe(s.http_port) as probe, GoodSender(s, "reference"):
        time.sleep(4)
    s.reference_p99 = probe.p99()
    s.baseline_rss = s.status("VmHWM")
    try:
        yield s
    finally:
        s.stop()
