"""The demo as a child process of `otelhouse serve`: started after the collector listens, stopped first."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

from otelhouse.config import Settings

log = logging.getLogger("otelhouse.demo")


def demo_wanted(settings: Settings, no_demo: bool) -> bool:
    """Say whether serve starts the demo: on in development, elsewhere only when [demo] enabled is set."""
    if no_demo or not settings.demo.enabled or not settings.collector.http_enabled:
        return False  # the demo sends OTLP/HTTP
    return settings.env == "development" or settings.sources.get("demo.enabled", "default") != "default"


class DemoProcess:
    """`otelhouse demo` in a child process, so its load stays off the server's event loop and GIL."""

    def __init__(self, endpoint: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "otelhouse", "demo", "--endpoint", endpoint, "--parent-pid", str(os.getpid())],
            stdin=subprocess.DEVNULL,
        )
        log.info("demo shop started", extra={"pid": self.proc.pid, "endpoint": endpoint})

    def stop(self, timeout: float = 30) -> None:
        """Ask the demo to flush and exit; kill it if it does not within `timeout` seconds."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("demo shop did not stop in time; killed", extra={"pid": self.proc.pid})
            self.proc.kill()
            self.proc.wait()
