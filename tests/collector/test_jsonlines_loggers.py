"""Real loggers write JSON lines; the collector maps them; the rows are read back from ClickHouse.

Go programs (logrus, zap, zerolog, and slog through golang.org/x/exp/slog: Debian's Go 1.19 has no
log/slog) are built offline from Debian's packages, the Node loggers come from npm, structlog and
python-json-logger from PyPI. Each writes every level, an error with a stack, trace context and
nested fields; the Go programs get a fixed clock so times are asserted to the logger's precision.
"""

from __future__ import annotations

import io
import json
import logging
import time
from datetime import datetime

import pytest
import requests
import structlog
from pythonjsonlogger.json import JsonFormatter

from tests.collector.conftest import LiveCollector
from tests.collector.loggers import run_go, run_node

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
COLUMNS = (
    "Body, toUnixTimestamp64Nano(Timestamp), SeverityText, SeverityNumber, TraceId, SpanId, ServiceName, "
    "ScopeName, LogAttributes, ResourceAttributes"
)


def post_lines(live: LiveCollector, lines: list[bytes], service: str | None = None, headers=None, **kw) -> dict:
    headers = {
        "Content-Type": "application/x-ndjson",
        **({"X-Service-Name": service} if service else {}),
        **(headers or {}),
    }
    response = requests.post(f"{live.http_url}/v1/logs/json", data=b"\n".join(lines), headers=headers, timeout=30, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def stored(live: LiveCollector, service: str) -> dict[str, dict]:
    """Rows of a service by body."""
    rows = live.query(f"SELECT {COLUMNS} FROM {{db}}.otel_logs WHERE ServiceName = {{s:String}}", s=service)
    names = ("body", "time", "sev_text", "sev", "trace", "span", "service", "scope", "attrs", "resource")
    return {r[0]: dict(zip(names, r, strict=True)) for r in rows}


def assert_levels(rows: dict[str, dict], expected: dict[str, tuple[int, str]]) -> None:
    got = {body: (rows[body]["sev"], rows[body]["sev_text"]) for body in expected}
    assert got == expected


def assert_info_line(row: dict, trace: str = TRACE, span: str = SPAN) -> None:
    assert (row["trace"], row["span"]) == (trace, span)
    assert row["attrs"]["user.id"] == "42"
    assert row["attrs"]["user.roles"] == '["admin","dev"]'
    for key in ("trace_id", "span_id", "traceId", "spanId", "dd.trace_id", "dd.span_id"):
        assert key not in row["attrs"]


# logrus and zerolog: trace ... fatal, and panic above fatal (logrus writes `warning`, zerolog `warn`)
GO_LEVELS = {
    "trace line": (1, "TRACE"),
    "debug line": (5, "DEBUG"),
    "info line": (9, "INFO"),
    "warn line": (13, "WARN"),
    "error line": (17, "ERROR"),
    "fatal line": (21, "FATAL"),
    "panic line": (23, "FATAL"),
}


def go_base() -> int:
    """A fixed clock ten minutes ago with a nanosecond part, so each logger's precision shows."""
    return (time.time_ns() // 10**9 - 600) * 10**9 + 123_456_789


def test_logrus(live: LiveCollector) -> None:
    base = go_base()
    lines = run_go("logrus", str(base), TRACE, SPAN)
    report = post_lines(live, lines, service="billing")
    assert report | {"problems": []} == {
        "lines": 7,
        "stored": 7,
        "mapped": 7,
        "raw": 0,
        "rejected": 0,
        "repaired": 0,
        "problems": [],
    }
    rows = stored(live, "billing")
    assert_levels(rows, GO_LEVELS)
    # logrus's default JSONFormatter writes RFC 3339 to the second
    for i, body in enumerate(("trace line", "debug line", "info line", "warn line")):
        assert rows[body]["time"] == (base // 10**9 + i) * 10**9
    assert rows["warn line"]["attrs"]["log.level"] == "warning"
    assert_info_line(rows["info line"])  # logrus wrote the trace id in upper case
    error = rows["error line"]["attrs"]
    assert error["exception.message"] == "disk full"
    assert "runtime/debug.Stack()" in error["exception.stacktrace"]
    assert "otelhouse.timestamp" not in error


def test_zap(live: LiveCollector) -> None:
    base = go_base()
    post_lines(live, run_go("zap", str(base), TRACE, SPAN), service="billing")
    rows = stored(live, "billing")
    assert_levels(
        rows,
        {
            "debug line": (5, "DEBUG"),
            "info line": (9, "INFO"),
            "warn line": (13, "WARN"),
            "error line": (17, "ERROR"),
            "dpanic line": (21, "FATAL"),
            "panic line": (23, "FATAL"),
            "fatal line": (21, "FATAL"),
        },
    )
    # zap's production encoder writes epoch seconds as a float: ~0.1 us of precision
    assert abs(rows["debug line"]["time"] - base) < 1000
    assert abs(rows["fatal line"]["time"] - (base + 6 * 10**9)) < 1000
    assert rows["info line"]["scope"] == "billing"
    assert_info_line(rows["info line"])
    error = rows["error line"]["attrs"]
    assert error["exception.message"] == "disk full"
    assert "main.main" in error["exception.stacktrace"]
    assert error["code.caller"].startswith("zap/main.go:")


def test_zerolog(live: LiveCollector) -> None:
    base = go_base()
    post_lines(live, run_go("zerolog", str(base), TRACE, SPAN), service="billing")
    rows = stored(live, "billing")
    assert_levels(rows, GO_LEVELS)
    assert rows["trace line"]["time"] == base // 10**6 * 10**6  # TimeFormatUnixMs
    # Datadog's decimal dd.trace_id holds the low 64 bits of the trace id
    assert_info_line(rows["info line"], trace="0" * 16 + TRACE[16:])
    error = rows["error line"]["attrs"]
    assert error["exception.message"] == "disk full"
    assert json.loads(error["exception.stacktrace"])[0]["func"] == "main"  # pkgerrors' frames, as JSON


def test_slog(live: LiveCollector) -> None:
    base = go_base()
    post_lines(live, run_go("slog", str(base), TRACE, SPAN), service="billing")
    rows = stored(live, "billing")
    assert_levels(
        rows,
        {
            "trace line": (1, "TRACE"),  # DEBUG-4
            "debug line": (5, "DEBUG"),
            "info line": (9, "INFO"),
            "warn line": (13, "WARN"),
            "warn+2 line": (15, "WARN"),
            "error line": (17, "ERROR"),
            "error+4 line": (21, "FATAL"),
        },
    )
    assert rows["warn line"]["time"] == base + 3 * 10**9  # RFC 3339 with nanoseconds
    assert rows["warn+2 line"]["attrs"]["log.level"] == "WARN+2"
    assert_info_line(rows["info line"])
    assert rows["error line"]["attrs"]["exception.message"] == "disk full"


def iso_ns(text: str) -> int:
    """Independent reading of an ISO time (the standard library's) for the expected values."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


NODE_LEVELS = {
    "pino": {
        "trace line": (1, "TRACE"),
        "debug line": (5, "DEBUG"),
        "info line": (9, "INFO"),  # pino's 30
        "warn line": (13, "WARN"),
        "error line": (17, "ERROR"),
        "fatal line": (21, "FATAL"),
    },
    "winston": {
        "silly line": (1, "TRACE"),
        "debug line": (5, "DEBUG"),
        "verbose line": (6, "DEBUG"),
        "http line": (7, "DEBUG"),
        "info line": (9, "INFO"),
        "warn line": (13, "WARN"),
        "disk full": (17, "ERROR"),
    },
}
NODE_LEVELS["bunyan"] = NODE_LEVELS["pino"]


@pytest.mark.parametrize("logger", ["pino", "bunyan", "winston"])
def test_node_loggers(live: LiveCollector, logger: str) -> None:
    lines = run_node("loggers.js", logger, TRACE, SPAN)
    sent = [json.loads(line) for line in lines]
    report = post_lines(live, lines, service=None if logger == "winston" else "checkout")
    assert report["mapped"] == len(lines) and report["raw"] == 0
    service = "billing" if logger == "winston" else "checkout"  # winston's defaultMeta names its service
    rows = stored(live, service)
    assert_levels(rows, NODE_LEVELS[logger])
    assert_info_line(rows["info line"])
    for line in sent:
        body = line.get("msg") or line.get("message")
        expected = line["time"] * 10**6 if logger == "pino" else iso_ns(line.get("time") or line["timestamp"])
        assert rows[body]["time"] == expected
    if logger == "winston":
        assert "Error: disk full" in rows["disk full"]["attrs"]["exception.stacktrace"]
        return
    row = rows["error line"]
    assert row["attrs"]["exception.message"] == "disk full"
    assert row["attrs"]["exception.type"] == "Error"
    assert "Error: disk full" in row["attrs"]["exception.stacktrace"]
    assert row["scope"] == "billing"
    assert row["resource"]["host.name"] == sent[0]["hostname"]
    assert row["resource"]["process.pid"] == str(sent[0]["pid"])
    assert "v" not in row["attrs"]  # bunyan's format version is bookkeeping


def test_structlog(live: LiveCollector) -> None:
    out = io.StringIO()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    try:
        log = structlog.get_logger().bind(logger="billing.invoices")
        log.debug("debug line")
        log.info("info line", trace_id=TRACE, span_id=SPAN, user={"id": 42, "roles": ["admin", "dev"]})
        log.warning("warn line")
        try:
            raise RuntimeError("disk full")
        except RuntimeError:
            log.exception("error line")
        log.critical("critical line")
    finally:
        structlog.reset_defaults()
    lines = out.getvalue().encode().splitlines()
    post_lines(live, lines, params={"service": "invoices"})  # service from the query parameter
    rows = stored(live, "invoices")
    assert_levels(
        rows,
        {
            "debug line": (5, "DEBUG"),
            "info line": (9, "INFO"),
            "warn line": (13, "WARN"),
            "error line": (17, "ERROR"),
            "critical line": (21, "FATAL"),
        },
    )
    for line in map(json.loads, lines):
        assert rows[line["event"]]["time"] == iso_ns(line["timestamp"])  # microseconds
        assert rows[line["event"]]["scope"] == "billing.invoices"
    assert_info_line(rows["info line"])
    assert "RuntimeError: disk full" in rows["error line"]["attrs"]["exception.stacktrace"]


def test_python_json_logger_and_the_python_level_scale(live: LiveCollector) -> None:
    """python-json-logger over the standard library; a formatter writing only `levelno` reads 30 as WARNING."""
    out = io.StringIO()
    named, numbered = logging.StreamHandler(out), logging.StreamHandler(out)
    named.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s %(funcName)s %(lineno)d", timestamp=True))
    numbered.setFormatter(JsonFormatter("%(created)f %(levelno)s %(name)s %(message)s"))
    log = logging.getLogger("billing.db")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    try:
        log.addHandler(named)
        log.debug("debug line")
        log.info("info line", extra={"trace_id": TRACE, "span_id": SPAN, "user": {"id": 42, "roles": ["admin", "dev"]}})
        log.warning("warn line")
        try:
            raise RuntimeError("disk full")
        except RuntimeError:
            log.exception("error line")
        log.critical("critical line")
        log.removeHandler(named)
        log.addHandler(numbered)
        log.warning("numbered warn line")
        log.info("numbered info line")
    finally:
        log.removeHandler(numbered)
    lines = out.getvalue().encode().splitlines()
    post_lines(
        live,
        lines,
        headers={"X-Service-Name": "ledger", "X-Resource-Attributes": "deployment.environment.name=prod,team=a%2Cb"},
    )
    rows = stored(live, "ledger")
    assert_levels(
        rows,
        {
            "debug line": (5, "DEBUG"),
            "info line": (9, "INFO"),
            "warn line": (13, "WARN"),
            "error line": (17, "ERROR"),
            "critical line": (21, "FATAL"),
            "numbered warn line": (13, "WARN"),  # Python's 30, where pino's 30 is INFO
            "numbered info line": (9, "INFO"),
        },
    )
    sent = [json.loads(line) for line in lines]
    assert rows["warn line"]["time"] == iso_ns(sent[2]["timestamp"])
    assert abs(rows["numbered warn line"]["time"] - sent[5]["created"] * 10**9) < 1000  # `created`: float seconds
    assert_info_line(rows["info line"])
    assert "RuntimeError: disk full" in rows["error line"]["attrs"]["exception.stacktrace"]
    assert rows["info line"]["attrs"]["code.function.name"] == "test_python_json_logger_and_the_python_level_scale"
    assert rows["info line"]["scope"] == "billing.db"
    assert rows["info line"]["resource"]["deployment.environment.name"] == "prod"
    assert rows["info line"]["resource"]["team"] == "a,b"
