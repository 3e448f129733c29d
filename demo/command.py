"""`otelhouse demo`: run the demo shop against a collector, or write past days of it (--backfill)."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import signal
import sys
import threading
import time

from otelhouse.config import ConfigError, Settings

log = logging.getLogger("otelhouse.demo")
_UNITS = {"m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")
DAY = 86400
PR_SET_PDEATHSIG = 1
SHUTDOWN_S = 10


def parse_duration(text: str) -> float:
    """Turn '7d', '12h' or '90m' into seconds; raise ConfigError naming the bad value."""
    match = _DURATION.match(text.strip())
    if not match or float(match[1]) <= 0:
        raise ConfigError(f"--backfill takes a duration such as 7d, 12h or 90m, got {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def collector_endpoint(settings: Settings, port: int | None = None) -> str:
    """Return the URL of the collector's OTLP/HTTP listener as a client on this machine reaches it."""
    host = settings.collector.host
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port or settings.collector.http_port}"


def ingest_headers(settings: Settings) -> dict[str, str]:
    """Return the auth header the collector expects (its first ingest key), if it wants one."""
    keys = settings.collector.api_keys
    return {"Authorization": f"Bearer {keys[0]}"} if keys else {}


def backfill_window(settings: Settings, seconds: float) -> float:
    """Clamp a backfill to what the collector accepts: items older than a hot-storage TTL are refused."""
    table_ttl = settings.retention.table_ttl_days()
    ttls = [table_ttl[s] for s in ("traces", "logs", "metrics") if table_ttl[s] > 0]
    limit = min(ttls) * DAY - 3600 if ttls else seconds
    if seconds > limit:
        log.warning(f"backfill shortened to {limit / DAY:.1f} days: older items are past a table TTL (retention)")
    return min(seconds, limit)


def _seed(settings: Settings) -> int:
    return settings.demo.seed or int.from_bytes(os.urandom(4), "big")


def run_backfill(settings: Settings, endpoint: str, duration: str) -> int:
    """Write history through the collector with a progress bar; return the exit code."""
    from demo.backfill import backfill
    from demo.progress import Progress

    seconds = backfill_window(settings, parse_duration(duration))
    progress = Progress(seconds, "backfill")
    result = backfill(
        endpoint, ingest_headers(settings), seconds, settings.demo.visits_per_second, _seed(settings), progress=progress
    )
    progress.finish(f"{result.visits:,} visits")
    print(
        f"backfill done in {result.seconds:.0f} s: {result.spans:,} spans, {result.log_records:,} log records, "
        f"{result.json_lines:,} JSON lines, {result.points:,} metric points sent to {endpoint}",
        file=sys.stderr,
    )
    return 0


def _watch_parent(stop: threading.Event, parent: int) -> None:
    """Stop when the process that started this one is gone (a demo never outlives its server)."""
    while os.getppid() == parent:
        if stop.wait(1.0):
            return
    stop.set()


def run_live_demo(settings: Settings, endpoint: str, parent_pid: int | None = None) -> int:
    """Run the shop until SIGINT/SIGTERM or the parent process goes away; return the exit code."""
    from demo.live import LiveShop, cpu_seconds, run_live

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    # Linux: the kernel also sends SIGTERM at once if the parent dies (SIGKILL, crash)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    # the server's pid when it started us: a parent that died before this line is caught too
    parent = parent_pid or os.getppid()
    threading.Thread(target=_watch_parent, args=(stop, parent), name="demo-parent", daemon=True).start()
    shop = LiveShop(endpoint, ingest_headers(settings), settings.demo.export_interval_s)
    log.info(
        "demo shop running: frontend, checkout, payments, inventory, email (deployment.environment=demo)",
        extra={"endpoint": endpoint, "visits_per_second": settings.demo.visits_per_second},
    )
    started, cpu_start = time.monotonic(), cpu_seconds()
    visits = run_live(shop, stop, settings.demo.visits_per_second, _seed(settings))
    # the exporters retry an unreachable collector (a server that died) for a while: bound the flush
    flusher = threading.Thread(target=shop.shutdown, name="demo-flush", daemon=True)
    flusher.start()
    flusher.join(SHUTDOWN_S)
    if flusher.is_alive():
        log.warning(f"demo shop could not flush within {SHUTDOWN_S} s (collector gone?); exiting anyway")
    wall = time.monotonic() - started
    cpu = cpu_seconds() - cpu_start
    log.info(
        f"demo shop stopped: {visits} visits in {wall:.0f} s, "
        f"CPU {cpu:.1f} s ({cpu / max(wall, 1e-9):.1%} of one core)",
        extra={"visits": visits, "cpu_s": round(cpu, 2), "wall_s": round(wall, 1)},
    )
    return 0
