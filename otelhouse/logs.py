"""otelhouse's own logs: JSON lines (or readable text on a terminal), secrets redacted, size and rate capped.

Anyone who can reach a port can make the process log; so every line is cut to a size, lines past a
rate are dropped and counted (`otelhouse_log_lines_suppressed_total`, and `suppressed_before` on the
next line that passes), and aiohttp's reports of malformed requests, which carry the client's
bytes, are not logged at all (the collector counts them in /metrics instead).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Iterable

# LogRecord attributes that are not extras passed with `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class Redactor(logging.Filter):
    """Replace every known secret in a record's message and extras with ***."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Hide these secrets too (one list swap, so a line being logged sees the old or the new list)."""
        # longest first, so a secret that contains another is hidden whole
        self.secrets = sorted({*self.secrets, *(s for s in secrets if len(s) >= 4)}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self.scrub(record.getMessage())
            record.args = None
            for key, value in _extras(record).items():
                if isinstance(value, str):
                    setattr(record, key, self.scrub(value))
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters cut)"


class Limiter(logging.Filter):
    """Cut each line to `max_chars` and pass at most `per_s` lines a second (bursts of 10 s worth)."""

    def __init__(self, max_chars: int = 4096, per_s: float = 100) -> None:
        super().__init__()
        self.max_chars, self.per_s = max_chars, per_s
        self.capacity = per_s * 10
        self.tokens = self.capacity
        self.refilled = time.monotonic()
        self.suppressed = 0  # since the last line that passed
        self.total_suppressed = 0
        self.lock = threading.Lock()

    def _admit(self) -> int | None:
        """Return how many lines were dropped before this one, or None to drop this one too."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.refilled) * self.per_s)
            self.refilled = now
            if self.tokens < 1:
                self.suppressed += 1
                self.total_suppressed += 1
                return None
            self.tokens -= 1
            dropped, self.suppressed = self.suppressed, 0
            return dropped

    def filter(self, record: logging.LogRecord) -> bool:
        dropped = self._admit()
        if dropped is None:
            return False
        if dropped:
            record.suppressed_before = dropped
        record.msg, record.args = _cut(record.getMessage(), self.max_chars), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = _cut(record.exc_text, self.max_chars)
        return True


LIMITER = Limiter()


def suppressed_lines() -> int:
    """Lines dropped by the rate cap since start (exposed in /metrics)."""
    return LIMITER.total_suppressed


class ClientNoise(logging.Filter):
    """Drop aiohttp's reports of malformed requests and departed clients: they carry client bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (HttpProcessingError, ConnectionError))


class GrpcClientBytes(logging.Filter):
    """Drop grpc's report of metadata that is not UTF-8: it quotes the value, which may be a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Invalid encoding on")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        doc.update(_extras(record))
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["exc"] = record.exc_text
        return json.dumps(doc, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal: time, level, logger, message, key=value extras."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


def redact_also(secrets: Iterable[str]) -> None:
    """Hide more secrets (a rotated one) in every log line from now on."""
    for handler in logging.getLogger().handlers:
        for redactor in handler.filters:
            if isinstance(redactor, Redactor):
                redactor.add(secrets)


def configure_logging(
    level: str,
    fmt: str,
    secrets: Iterable[str] = (),
    stream=None,
    *,
    max_chars: int = 4096,
    max_lines_per_s: float = 100,
) -> None:
    """Route all logging to one handler in the chosen format, secrets redacted, size and rate capped."""
    global LIMITER
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "text" if getattr(stream, "isatty", lambda: False)() else "json"
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(Redactor(secrets))
    LIMITER = Limiter(max_chars, max_lines_per_s)
    handler.addFilter(LIMITER)
    server = logging.getLogger("aiohttp.server")
    server.filters[:] = [ClientNoise()]
    logging.getLogger("grpc._cython.cygrpc").filters[:] = [GrpcClientBytes()]
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # third-party chatter (connection retries, scheduler ticks) only when debugging: our own
    # messages say what failed and what to do
    for noisy in ("aiohttp.access", "apscheduler", "clickhouse_connect", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level == "debug" else logging.ERROR)
