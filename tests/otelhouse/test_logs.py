"""otelhouse's own log under a flood: lines cut to a size, a rate cap with a count of what was dropped."""

from __future__ import annotations

import io
import json
import logging

from otelhouse import logs
from otelhouse.logs import configure_logging


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_long_messages_and_tracebacks_are_cut() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream, max_chars=100, max_lines_per_s=1000)
    log = logging.getLogger("otelhouse.test")
    log.info("x" * 5000)
    try:
        raise ValueError("y" * 5000)
    except ValueError:
        log.exception("failed")
    first, second = _lines(stream)
    assert first["msg"].startswith("x" * 100) and "4900 more characters cut" in first["msg"]
    assert len(first["msg"]) < 150 and len(second["exc"]) < 150


def test_a_flood_is_capped_counted_and_announced() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream, max_chars=1000, max_lines_per_s=5)
    log = logging.getLogger("otelhouse.test")
    before = logs.suppressed_lines()
    for i in range(500):
        log.info("line %d", i)
    written = _lines(stream)
    assert 50 <= len(written) <= 52  # a burst of 10 s worth at 5 lines/s (plus a slow machine's refill)
    dropped = 500 - len(written)
    assert logs.suppressed_lines() - before == dropped
    logs.LIMITER.tokens = 1  # as if a fifth of a second had passed
    log.info("after the flood")
    last = _lines(stream)[-1]
    assert last["msg"] == "after the flood" and last["suppressed_before"] == dropped


def test_aiohttp_reports_of_malformed_requests_are_dropped() -> None:
    from aiohttp.http_exceptions import BadHttpMessage

    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        raise BadHttpMessage("secret-client-bytes")
    except BadHttpMessage as exc:
        logging.getLogger("aiohttp.server").error("Error handling request", exc_info=exc)
    logging.getLogger("grpc._cython.cygrpc").error("Invalid encoding on %s", b"Bearer \xffsecret")
    assert stream.getvalue() == ""
