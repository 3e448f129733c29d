"""POST a body to the collector, honouring its back-pressure (429/503 + Retry-After)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

RETRYABLE = (429, 503)


def post(url: str, body: bytes, headers: dict[str, str], attempts: int = 1, timeout: float = 30) -> None:
    """Send one request; retry refusals up to `attempts` times; raise HTTPError or OSError on failure."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
            return
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRYABLE or attempt == attempts - 1:
                raise
            time.sleep(min(float(exc.headers.get("Retry-After") or 1), 5.0))
