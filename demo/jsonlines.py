"""Logs of the demo's Go-style services as JSON lines, in logrus and zap shapes, to POST /v1/logs/json."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
from collections import defaultdict

from demo.identity import resource_attributes
from demo.model import LogLine
from demo.transport import post

log = logging.getLogger("otelhouse.demo")
ROUTE = "/v1/logs/json"
# which simulated services log JSON lines instead of OTel log records, and in which shape
JSON_SHAPES = {"inventory": "logrus", "email": "zap"}
_LOGRUS_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARN": "warning", "ERROR": "error"}
_ZAP_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARN": "warn", "ERROR": "error"}


def _rfc3339_nano(time_ns: int) -> str:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z"


def resource_header(service: str) -> str:
    """Return the service's resource as an X-Resource-Attributes value (OTEL_RESOURCE_ATTRIBUTES syntax)."""
    return ",".join(f"{k}={urllib.parse.quote(v)}" for k, v in resource_attributes(service).items())


def json_line(service: str, line: LogLine, trace_id: str, span_id: str) -> dict:
    """Return one log line as the service's Go logger would write it (logrus or zap JSON)."""
    context = {"trace_id": trace_id, "span_id": span_id}
    if JSON_SHAPES[service] == "logrus":
        # logrus.JSONFormatter with TimestampFormat RFC3339Nano: fields beside level, msg and time
        return {
            "level": _LOGRUS_LEVELS[line.severity],
            "msg": line.body,
            "time": _rfc3339_nano(line.time_ns),
            **line.attributes,
            **context,
        }
    # zap.NewProductionConfig(): epoch seconds as a float, caller, fields after msg
    return {
        "level": _ZAP_LEVELS[line.severity],
        "ts": line.time_ns / 1e9,
        "caller": f"{service}/worker.go:87",
        "msg": line.body,
        **line.attributes,
        **context,
    }


class JsonLinesSink:
    """Buffer JSON lines per service and POST them as NDJSON; warn once if the collector lacks the route."""

    def __init__(self, endpoint: str, headers: dict[str, str]) -> None:
        self.url = endpoint.rstrip("/") + ROUTE
        self.headers = headers
        self.pending: dict[str, list[bytes]] = defaultdict(list)
        self.available = True
        self.warned: set[str] = set()
        self.sent = 0

    def add(self, service: str, line: LogLine, trace_id: str, span_id: str) -> None:
        """Queue one line (dropped quietly once the collector said it has no JSON-lines route)."""
        if self.available:
            self.pending[service].append(json.dumps(json_line(service, line, trace_id, span_id)).encode())

    def flush(self) -> None:
        """Send what is queued, one request per service."""
        batches, self.pending = self.pending, defaultdict(list)
        for service, lines in batches.items():
            if self.available and lines:
                self._post(service, b"\n".join(lines) + b"\n", len(lines))

    def _post(self, service: str, body: bytes, count: int) -> None:
        headers = {
            **self.headers,
            "Content-Type": "application/x-ndjson",
            "X-Service-Name": service,
            "X-Resource-Attributes": resource_header(service),
        }
        try:
            post(self.url, body, headers, attempts=3)
            self.sent += count
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                self.available = False
                log.warning(
                    f"the collector has no JSON-lines route ({ROUTE} answered 404): the demo's logrus and zap "
                    "log lines are not sent; OTel logs, traces and metrics go on",
                    extra={"url": self.url},
                )
            else:
                self._warn_once(f"HTTP {exc.code}", f"{ROUTE} answered {exc.code}; dropped {count} demo lines")
        except OSError as exc:
            self._warn_once(type(exc).__name__, f"cannot reach {self.url}: {exc}; dropped {count} demo lines")

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            log.warning(message)
