"""The container health check: `python -m otelhouse.healthcheck` exits 0 when this container's part is up.

It needs no curl in the image and loads no settings file (it runs every few seconds): the part's HTTP
ports come from the same environment variables otelhouse reads, with the config model's defaults, and
a part without HTTP (retention) is up while its process runs.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping

from otelhouse.config.loader import env_name
from otelhouse.config.model import CollectorSettings, DashboardSettings

# the parts that serve /healthz, and the variable and default of each one's port
HTTP_PORTS = {
    "collector": (env_name("collector", "http_port"), CollectorSettings.http_port),
    "dashboard": (env_name("dashboard", "port"), DashboardSettings.port),
}
PARTS_OF = {"serve": ("collector", "dashboard"), "collector": ("collector",), "dashboard": ("dashboard",)}
# the part is on this host: never ask through an HTTP(S)_PROXY the container's environment may set
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def urls(command: str, environ: Mapping[str, str]) -> list[str]:
    """Return the /healthz URLs of the part `command` runs; empty for a part without HTTP."""
    ports = (environ.get(HTTP_PORTS[p][0], str(HTTP_PORTS[p][1])) for p in PARTS_OF.get(command, ()))
    return [f"http://127.0.0.1:{port}/healthz" for port in ports]


def answers(url: str, timeout_s: float = 3.0) -> bool:
    """Say whether `url` answers 200."""
    try:
        with _DIRECT.open(url, timeout=timeout_s) as response:
            return response.status == 200
    except OSError:
        return False


def main_command(cmdline: bytes) -> str:
    """Return the otelhouse command in a /proc/PID/cmdline (NUL-separated), or ''."""
    args = [a.decode(errors="replace") for a in cmdline.split(b"\0") if a]
    return next((a for a in args if a in (*PARTS_OF, "retention", "migrate")), "")


def check(environ: Mapping[str, str], cmdline: bytes) -> bool:
    """Say whether the part in this container is healthy: every port of it answers /healthz."""
    command = main_command(cmdline)
    if not command:
        return False
    return all(answers(u) for u in urls(command, environ))


if __name__ == "__main__":
    with open("/proc/1/cmdline", "rb") as fh:  # the container's main process: otelhouse COMMAND
        sys.exit(0 if check(os.environ, fh.read()) else 1)
