"""remote_write benchmark: otelhouse, Debian's Prometheus and Debian's VictoriaMetrics take the same load.

Each receiver gets the same requests from the same generator processes: node-exporter-like series,
500 series x 10 samples per request, snappy-compressed WriteRequests, several in flight, for
--seconds. A request counts when acknowledged (2xx); the samples each receiver stored are counted
back afterwards (otelhouse: rows in ClickHouse; Prometheus: prometheus_tsdb_head_samples_appended_total;
VictoriaMetrics: vm_rows_added_to_storage_total after a flush). Ratios are against Prometheus,
measured in the same run.

    python bench/remote_write.py --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import Collector, free_port, say  # noqa: E402
from collector.prometheus.otlp import varint  # noqa: E402

SERIES, SAMPLES = 500, 10
ARGS = argparse.Namespace()  # the command line, for run_peer
# node-exporter-like families: (name, label name, label values)
FAMILIES = [
    ("node_cpu_seconds_total", "mode", ["idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"]),
    ("node_network_receive_bytes_total", "device", ["eth0", "eth1", "lo", "docker0"]),
    ("node_network_transmit_bytes_total", "device", ["eth0", "eth1", "lo", "docker0"]),
    ("node_filesystem_avail_bytes", "mountpoint", ["/", "/boot", "/var", "/home"]),
    ("node_disk_io_time_seconds_total", "device", ["sda", "sdb", "nvme0n1"]),
    ("node_memory_MemAvailable_bytes", "", [""]),
    ("node_load1", "", [""]),
]


def _ld(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + varint(len(payload)) + payload


def series_labels(generator: int, group: int) -> list[bytes]:
    """Encoded Label fields of one request's 500 series (distinct per generator and group)."""
    out: list[bytes] = []
    host = 0
    while len(out) < SERIES:
        for name, label, values in FAMILIES:
            for cpu in range(4 if name == "node_cpu_seconds_total" else 1):
                for value in values:
                    labels = {"__name__": name, "job": "node", "instance": f"g{generator}-{group}-h{host}:9100"}
                    if label:
                        labels[label] = value
                    if name == "node_cpu_seconds_total":
                        labels["cpu"] = str(cpu)
                    out.append(
                        b"".join(
                            _ld(0x0A, _ld(0x0A, k.encode()) + _ld(0x12, v.encode())) for k, v in sorted(labels.items())
                        )
                    )
        host += 1
    return out[:SERIES]


_SAMPLE = None


def request_body(labels: list[bytes], cycle: int, base_ms: int) -> bytes:
    """A snappy WriteRequest: each series with 10 samples after the previous cycle's (numpy-built, so the
    generator is not what limits the receivers)."""
    import cramjam
    import numpy as np

    global _SAMPLE
    if _SAMPLE is None:  # Sample{value=1 (double), timestamp=2 (varint, 6 bytes for today's ms)}
        _SAMPLE = np.dtype(
            [("tag", "u1"), ("len", "u1"), ("vtag", "u1"), ("value", "<f8"), ("ttag", "u1"), ("ts", "u1", 6)]
        )
    n = len(labels) * SAMPLES
    rec = np.zeros(n, dtype=_SAMPLE)
    rec["tag"], rec["len"], rec["vtag"], rec["ttag"] = 0x12, 16, 0x09, 0x10
    k = np.arange(n)
    rec["value"] = (cycle * SAMPLES + k % SAMPLES) * 1.5 + (k // SAMPLES) / 7
    ts = base_ms + (cycle * SAMPLES + k % SAMPLES) * 10
    for byte in range(6):
        rec["ts"][:, byte] = ((ts >> (7 * byte)) & 0x7F) | (0x80 if byte < 5 else 0)
    raw = rec.tobytes()
    size = SAMPLES * _SAMPLE.itemsize
    body = b"".join(
        b"\x0a" + varint(len(encoded) + size) + encoded + raw[i * size : (i + 1) * size]
        for i, encoded in enumerate(labels)
    )
    return bytes(cramjam.snappy.compress_raw(body))


async def _send(
    url: str, generator: int, groups: int, concurrency: int, seconds: float, base_ms: int
) -> tuple[int, int, int]:
    import aiohttp

    labels = [series_labels(generator, g) for g in range(groups)]
    acked = refused = failed = 0
    deadline = time.monotonic() + seconds
    counter = iter(range(10**9))
    headers = {
        "Content-Encoding": "snappy",
        "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0",
    }

    async def worker(session) -> None:
        nonlocal acked, refused, failed
        while time.monotonic() < deadline:
            k = next(counter)
            group, cycle = k % groups, k // groups
            body = request_body(labels[group], cycle, base_ms)
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    acked += SERIES * SAMPLES
                elif response.status in (429, 503):
                    refused += 1
                    await asyncio.sleep(0.2)
                else:
                    failed += 1

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return acked, refused, failed


def generate(
    url: str, generator: int, groups: int, concurrency: int, seconds: float, base_ms: int
) -> tuple[int, int, int]:
    """Entry point of a generator process."""
    return asyncio.run(_send(url, generator, groups, concurrency, seconds, base_ms))


def load(url: str, args) -> dict:
    # one group per in-flight request, so concurrent requests never write the same series out of order
    base_ms = int(time.time() * 1000) - 20 * 60 * 1000
    jobs = [(url, g, args.concurrency, args.concurrency, args.seconds, base_ms) for g in range(args.procs)]
    with mp.get_context("spawn").Pool(args.procs) as pool:
        results = pool.starmap(generate, jobs)
    acked = sum(r[0] for r in results)
    return {"acked": acked, "refused": sum(r[1] for r in results), "failed": sum(r[2] for r in results)}


def metric_sum(url: str, name: str) -> float:
    with urllib.request.urlopen(url, timeout=30) as r:
        text = r.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


def wait_ready(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.2)


def run_otelhouse(work: Path, args) -> dict:
    collector = Collector(work / "clickhouse", "bench_rw", native=True)
    try:
        started = time.monotonic()
        r = load(f"http://127.0.0.1:{collector.http}/api/v1/write", args)
        r["drain_s"] = round(collector.wait_drained(), 1)
        r["rate"] = r["acked"] / (time.monotonic() - started)
    finally:
        collector.stop()
    import clickhouse_connect

    client = clickhouse_connect.get_client(interface="chdb", path=str(work / "clickhouse"))
    r["stored"] = sum(
        client.query(f"SELECT count() FROM bench_rw.otel_metrics_{t}").result_rows[0][0] for t in ("gauge", "sum")
    )
    client.close()
    return r


def run_peer(command: list[str], port: int, ready: str, stored) -> dict:
    """Run a remote-write receiver, load it, and count what it stored with `stored(base_url)`."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + ready, proc)
        started = time.monotonic()
        r = load(f"{base}/api/v1/write", ARGS)
        r["rate"] = r["acked"] / (time.monotonic() - started)
        r["stored"] = stored(base)
    finally:
        proc.terminate()
        proc.wait(60)
    return r


def run_prometheus(work: Path, args) -> dict:
    port = free_port()
    (work / "prom.yml").write_text("global: {}\n")
    command = [
        shutil.which("prometheus"),
        f"--config.file={work / 'prom.yml'}",
        f"--storage.tsdb.path={work / 'prom'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-remote-write-receiver",
    ]
    return run_peer(
        command,
        port,
        "/-/ready",
        lambda base: int(metric_sum(base + "/metrics", "prometheus_tsdb_head_samples_appended_total")),
    )


def victoria_stored(base: str) -> int:
    urllib.request.urlopen(base + "/internal/force_flush", timeout=60).read()
    return int(metric_sum(base + "/metrics", "vm_rows_added_to_storage_total"))


def run_victoria(work: Path, args) -> dict:
    port = free_port()
    command = [shutil.which("victoria-metrics"), f"-httpListenAddr=127.0.0.1:{port}", f"-storageDataPath={work / 'vm'}"]
    return run_peer(command, port, "/health", victoria_stored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="duration of each measurement (default 20)")
    parser.add_argument("--procs", type=int, default=2, help="generator processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight per process (default 4)")
    args = parser.parse_args()
    ARGS.__dict__.update(vars(args))
    work = Path(tempfile.mkdtemp(prefix="otelhouse-rw-bench-"))
    results = {}
    for name, run in (("prometheus", run_prometheus), ("victoria-metrics", run_victoria), ("otelhouse", run_otelhouse)):
        say(f"{name}: {args.seconds:g} s x {args.procs} senders x {args.concurrency} in flight ...")
        r = results[name] = run(work, args)
        say(
            f"  {name:16} {r['rate']:>12,.0f} samples/s acknowledged; acked {r['acked']:,}, stored {r['stored']:,}, "
            f"refused {r['refused']}, failed {r['failed']}"
            + (f", drained {r['drain_s']} s after" if "drain_s" in r else "")
        )
    ref = results["prometheus"]["rate"]
    for name, r in results.items():
        say(f"  {name:16} {r['rate'] / ref:.2f}x Prometheus")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
