"""A real `otelhouse collector` process with small limits, and what the hostile tests measure of it.

A subprocess, so its RSS (VmRSS, and VmHWM: the peak since start) is the collector's alone, and its
log is a file whose growth can be measured.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import free_port

KEY = "hostile-test-key-0042"
MIB = 1024 * 1024
# The settings under test: small, so limits are reached quickly and bounds are tight.
LIMITS = {
    "MAX_BODY_BYTES": 4 * MIB,
    "GRPC_MAX_MESSAGE_BYTES": 4 * MIB,
    "MAX_DECOMPRESSED_BYTES": 16 * MIB,
    "MAX_INFLIGHT_BODY_BYTES": 32 * MIB,
    "MAX_CONNECTIONS": 200,
    "IDLE_TIMEOUT_S": 2,
    "BODY_GRACE_S": 2,
    "BODY_MIN_RATE_BYTES": MIB,  # a gRPC message must arrive within 2 s + 4 MiB / 1 MiB/s = 6 s
    "BATCH_BYTES": 4 * MIB,
}


# Admitted large uploads are real work: up to 32 MiB decoded, logged and inserted at once on a
# two-core machine. The 100 ms holds over gRPC since large bodies are decoded on one thread and
# the bulk-work threads run at a lower priority than the event loop (docs/performance.md, "Issue 9
# over gRPC"); a name of its own, as the scenario nearest the bound.
LARGE_UPLOAD_LATENCY_S = 0.1


def rss_bound(baseline: int) -> int:
    """The documented bound (docs/ingest.md, "Memory"): at rest + 4 x the body budget + the inserts + slack.

    The inserts' term is what the embedded engine needs to store a batch: about 20x batch_bytes. The
    slack (64 MiB) covers what no setting governs: allocator arenas, thread stacks, grpc's per-stream
    windows; runs on a loaded machine peaked 6-20 MiB over the bound without it.
    """
    return baseline + 4 * LIMITS["MAX_INFLIGHT_BODY_BYTES"] + 20 * LIMITS["BATCH_BYTES"] + 64 * MIB


@dataclass
class Server:
    proc: subprocess.Popen
    http_port: int
    grpc_port: int
    log_path: Path
    data: Path
    baseline_rss: int = 0
    acked: set[str] = field(default_factory=set)  # span names acknowledged, to find in ClickHouse
    reference_port: int = 0  # an idle aiohttp /healthz in another process: the machine's own noise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def status(self, key: str) -> int:
        """A VmRSS / VmHWM figure of the process, in bytes."""
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) * 1024

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def metric(self, name: str, **labels: str) -> float:
        """Sum of a /metrics sample's values whose labels include `labels`."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as r:
            text = r.read().decode()
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def assert_rss_bounded(self) -> None:
        peak, bound = self.status("VmHWM"), rss_bound(self.baseline_rss)
        assert peak <= bound, f"peak RSS {peak / MIB:.0f} MiB over the bound {bound / MIB:.0f} MiB"

    def stop(self) -> str:
        """Stop the collector (flushing what it acknowledged); return its log."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
        return self.log_text()

    def stored_span_names(self) -> set[str]:
        """Span names in ClickHouse, read by another process once this one has stopped."""
        self.stop()
        script = (
            "import sys\nfrom otelhouse.config import load_settings\nfrom storage import Store\n"
            "s = Store.open(load_settings({'OTELHOUSE_CLICKHOUSE_URL': sys.argv[1]}))\n"
            "rows = s.call(lambda c: c.query('SELECT SpanName FROM otel_traces').result_rows)\n"
            "print('\\n'.join(r[0] for r in rows))\n"
            "s.close()\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", script, f"chdb://{self.data}/clickhouse"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return set(out.stdout.split())


IDLE = """
import sys
from aiohttp import web
app = web.Application()
app.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


def start_reference(port: int) -> subprocess.Popen:
    """An idle aiohttp server answering /healthz, to measure the machine's noise beside the collector."""
    return subprocess.Popen([sys.executable, "-c", IDLE, str(port)])


def start_server(tmp: Path) -> Server:
    http_port, grpc_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")}
    env.update(
        OTELHOUSE_CLICKHOUSE_URL=f"chdb://{tmp}/clickhouse",
        OTELHOUSE_COLLECTOR_WAL_DIR=str(tmp / "wal"),
        OTELHOUSE_COLLECTOR_HOST="127.0.0.1",
        OTELHOUSE_COLLECTOR_HTTP_PORT=str(http_port),
        OTELHOUSE_COLLECTOR_GRPC_PORT=str(grpc_port),
        OTELHOUSE_COLLECTOR_API_KEYS=KEY,
        OTELHOUSE_COLLECTOR_BATCH_AGE_MS="50",
        OTELHOUSE_LOG_FORMAT="json",
        **{f"OTELHOUSE_COLLECTOR_{k}": str(v) for k, v in LIMITS.items()},
    )
    log_path = tmp / "collector.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "otelhouse", "collector"], env=env, stderr=log, stdout=log)
    server = Server(proc, http_port, grpc_port, log_path, tmp)
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/readyz", timeout=2):
                break
        except OSError:
            assert proc.poll() is None, server.log_text()
            assert time.monotonic() < deadline, "collector did not start"
            time.sleep(0.2)
    return server


PROBE = """
import http.client, sys, threading, time
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
conn.connect()
while not stop.is_set():
    started = time.perf_counter()
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        print(time.perf_counter() - started if response.status == 200 else f"status {response.status}", flush=True)
    except (OSError, http.client.HTTPException) as exc:
        print(f"failed {exc!r}", flush=True)
        conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
    time.sleep(0.01)
"""


@dataclass
class HealthProbe:
    """GET /healthz every 10 ms on one keep-alive connection while a scenario runs; keep the latencies.

    A process of its own, so the test's client threads cannot delay it (they share one GIL).
    """

    url_port: int
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __enter__(self) -> HealthProbe:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(self.url_port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._first = self._proc.stdout.readline()  # probing has begun before the scenario does
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self._proc.communicate("", timeout=30)
        for line in [self._first, *out.splitlines()]:
            try:
                self.latencies.append(float(line))
            except ValueError:
                self.failures.append(line)

    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98]

    def assert_fast(self, limit_s: float) -> None:
        assert len(self.latencies) >= 20, f"too few probes: {len(self.latencies)}, failures {self.failures[:3]}"
        assert not self.failures, self.failures[:3]
        slowest = sorted(round(x * 1000) for x in self.latencies)[-5:]
        assert self.p99() < limit_s, (
            f"/healthz p99 {self.p99() * 1000:.0f} ms over {len(self.latencies)} probes; {slowest}"
        )


class GoodSender:
    """Sends a small valid request every 0.5 s while a scenario runs, retrying 429/503 as SDKs do."""

    def __init__(self, server: Server, name: str, protocol: str = "http") -> None:
        self.server, self.name, self.protocol = server, name, protocol
        self.acked: list[str] = []
        self.bad: list[str] = []
        self._stop = threading.Event()

    def _send(self, span_name: str) -> str:
        from tests.collector.hostile.clients import spans_body

        body = spans_body(span_name)
        if self.protocol == "grpc":
            import grpc

            with grpc.insecure_channel(self.server.grpc_target) as channel:
                call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
                try:
                    call(body, metadata=[("authorization", f"Bearer {KEY}")], timeout=20)
                    return "OK"
                except grpc.RpcError as exc:
                    return exc.code().name
        request = urllib.request.Request(
            f"{self.server.url}/v1/traces",
            data=body,
            headers={"Content-Type": "application/x-protobuf", "X-API-Key": KEY},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as r:
                return str(r.status)
        except urllib.error.HTTPError as exc:
            return str(exc.code)
        except OSError:  # refused at the connection cap, or reset: an SDK retries
            return "503"

    def _deliver(self, span_name: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            outcome = self._send(span_name)
            if outcome in ("200", "OK"):
                self.acked.append(span_name)
                return
            if outcome not in ("429", "503", "RESOURCE_EXHAUSTED", "UNAVAILABLE"):
                self.bad.append(outcome)
                return
            time.sleep(0.2)
        self.bad.append(f"{span_name}: not accepted in time")

    def _run(self) -> None:
        i = 0
        while not self._stop.wait(0.5):
            self._deliver(f"{self.name}-{i}", time.monotonic() + 30)
            i += 1

    def __enter__(self) -> GoodSender:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)
        self._deliver(f"{self.name}-last", time.monotonic() + 30)
        assert not self.bad, self.bad[:3]
        self.server.acked.update(self.acked)


class Scenario:
    """Run a hostile scenario with good traffic and a /healthz probe alongside; then check the bounds."""

    def __init__(
        self, server: Server, name: str, log_budget: int = 16 * 1024, protocol: str = "http", latency_s: float = 0.1
    ) -> None:
        self.server, self.log_budget, self.latency_s = server, log_budget, latency_s
        self.good = GoodSender(server, name, protocol)
        self.probe = HealthProbe(server.http_port)
        self.reference = HealthProbe(server.reference_port)

    def __enter__(self) -> Scenario:
        self.started = time.monotonic()
        self.log_before = self.server.log_size()
        self.probe.__enter__()
        self.reference.__enter__()
        self.good.__enter__()
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        time.sleep(max(0.0, self.started + 3 - time.monotonic()))  # enough probes for a p99
        self.good.__exit__()
        self.probe.__exit__()
        self.reference.__exit__()
        if kind is not None:
            return
        assert self.server.proc.poll() is None, "the collector died"
        grown = self.server.log_size() - self.log_before
        assert grown < self.log_budget, f"log grew {grown} bytes:\n{self.server.log_text()[-2000:]}"
        self.server.assert_rss_bounded()
        # 100 ms over the p99 an idle aiohttp server on this machine showed at the same moment: the
        # test machine is shared, and on an idle one that adds next to nothing to the 100 ms
        self.probe.assert_fast(self.latency_s + self.reference.p99())
