"""Hostile OTLP/HTTP clients against a live collector process: each scenario runs with good traffic and a
/healthz probe alongside, then asserts its status codes, the peak-RSS bound derived from the settings,
/healthz p99 under 100 ms, the log's growth under a budget, and (last test) that the good data is stored.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

from tests.collector.hostile import clients as c
from tests.collector.hostile.server import KEY, LARGE_UPLOAD_LATENCY_S, LIMITS, MIB, Scenario, Server

PROTO = {"Content-Type": "application/x-protobuf"}
KEYED = {**PROTO, "X-API-Key": KEY}

pytestmark = pytest.mark.slow  # a live collector process per module, scenarios of seconds each


def post(server: Server, body: bytes, headers: dict[str, str], path: str = "/v1/traces") -> tuple[int, bytes]:
    request = urllib.request.Request(f"{server.url}{path}", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_slowloris_on_headers_is_cut_after_the_idle_timeout_and_counted(server: Server) -> None:
    before = server.metric("otelhouse_collector_client_events_total", reason="header_timeout")
    with Scenario(server, "slow-headers"):
        socks = [c.connect(server.http_port) for _ in range(40)]
        for sock in socks:
            sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: collector\r\nContent-Type: appl")
        started = time.monotonic()
        closed = [c.closed_within(sock, LIMITS["IDLE_TIMEOUT_S"] + 6) for sock in socks]
        assert all(closed) and time.monotonic() - started < LIMITS["IDLE_TIMEOUT_S"] + 6
    after = server.metric("otelhouse_collector_client_events_total", reason="header_timeout")
    assert after - before >= 40


def test_slowloris_on_bodies_gets_408_and_the_connection_is_cut(server: Server) -> None:
    before = server.metric("otelhouse_collector_client_events_total", reason="body_timeout")
    with Scenario(server, "slow-bodies"):
        # 10 x 3 MB declared fit the 32 MiB body budget: all are admitted, then cut for being slow
        socks = [c.connect(server.http_port) for _ in range(10)]
        for sock in socks:
            sock.sendall(c.http_head("/v1/traces", KEYED, 3_000_000) + b"x" * 1000)
        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(c.read_status, socks))
        assert statuses == [408] * 10
        assert all(c.closed_within(sock, 5) for sock in socks)
    assert server.metric("otelhouse_collector_client_events_total", reason="body_timeout") - before == 10


def _slow_upload(server: Server, body: bytes, headers: dict[str, str], rate: int = MIB) -> int:
    """Upload at about `rate` bytes/s (so uploads overlap), return the status."""
    sock = c.connect(server.http_port, timeout=60)
    try:
        sock.sendall(c.http_head("/v1/traces", headers, len(body)))
        for start in range(0, len(body), 256 * 1024):
            sock.sendall(body[start : start + 256 * 1024])
            time.sleep(256 * 1024 / rate)
        return c.read_status(sock)
    except (BrokenPipeError, ConnectionResetError):
        return c.read_status(sock)  # refused before the body was read: the answer is waiting
    finally:
        sock.close()


def test_many_concurrent_large_uploads_stay_within_the_body_budget(server: Server) -> None:
    # 60 spans of 60 KB: a valid 3.6 MB request, under max_body_bytes (4 MiB)
    body = c.spans_body("large", count=60, pad=60_000)
    assert 3 * MIB < len(body) < LIMITS["MAX_BODY_BYTES"]
    with Scenario(server, "large-uploads", latency_s=LARGE_UPLOAD_LATENCY_S), ThreadPoolExecutor(30) as pool:
        keyed = list(pool.map(lambda _: _slow_upload(server, body, KEYED), range(30)))
        keyless = list(pool.map(lambda _: _slow_upload(server, body, PROTO), range(30)))
    assert set(keyed) <= {200, 429} and 200 in keyed and 429 in keyed, keyed
    assert keyless == [401] * 30


def test_disconnects_mid_body_are_counted_not_server_errors(server: Server) -> None:
    before = server.metric("otelhouse_collector_client_events_total", reason="disconnect")
    with Scenario(server, "disconnects"):
        for _ in range(20):
            sock = c.connect(server.http_port)
            sock.sendall(c.http_head("/v1/traces", KEYED, 1_000_000) + b"x" * 100_000)
            time.sleep(0.05)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, as a crash does
            sock.close()
        time.sleep(0.5)
    assert server.metric("otelhouse_collector_client_events_total", reason="disconnect") - before == 20
    assert server.metric("otelhouse_collector_requests_total", code="500") == 0
    assert '"level": "error"' not in server.log_text()


def test_gzip_bombs_in_a_loop_are_refused_while_healthz_stays_fast(server: Server) -> None:
    bomb = gzip.compress(bytes(64 * MIB), 9)  # 64 MiB of zeros in ~64 KB, over max_decompressed_bytes
    deadline = time.monotonic() + 8
    with Scenario(server, "bombs"), ThreadPoolExecutor(20) as pool:
        statuses = list(
            pool.map(
                lambda _: (
                    post(server, bomb, {**KEYED, "Content-Encoding": "gzip"})[0] if time.monotonic() < deadline else 413
                ),
                range(400),
            )
        )
    assert set(statuses) <= {413, 429} and statuses.count(413) >= 20, statuses


MALFORMED = [
    b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\nGARBAGE \x00\xff\r\n\r\n",
    b"GET /" + b"A" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /v1/traces HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(300)) + b"\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\xaa" * 64,  # a TLS ClientHello
    b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nsecret-client-bytes\r\n",
]


def test_malformed_http_in_a_loop_barely_grows_the_log(server: Server) -> None:
    before = server.metric("otelhouse_collector_client_events_total", reason="bad_http")
    with Scenario(server, "malformed", log_budget=8 * 1024):
        for i in range(1000):
            sock = c.connect(server.http_port)
            try:
                sock.sendall(MALFORMED[i % len(MALFORMED)])
                status = c.read_status(sock)
            except (BrokenPipeError, ConnectionResetError):
                status = 0
            finally:
                sock.close()
            assert status in (0, 400, 413, 431), status
    assert server.metric("otelhouse_collector_client_events_total", reason="bad_http") - before >= 600
    assert "secret-client-bytes" not in server.log_text() and "AAAAAAAA" not in server.log_text()


@pytest.mark.parametrize(
    "header",
    [b"X-API-Key: \xff", b"Authorization: Bearer \xff\xfe", b"Authorization: Bearer caf\xc3\xa9", b"X-API-Key: "],
)
def test_any_bytes_in_an_auth_header_get_401(server: Server, header: bytes) -> None:
    sock = c.connect(server.http_port)
    body = c.spans_body("never-stored")
    head = c.http_head("/v1/traces", PROTO, len(body)).replace(b"\r\n\r\n", b"\r\n" + header + b"\r\n\r\n")
    sock.sendall(head + body)
    assert c.read_status(sock) == 401
    sock.close()


def test_wrong_keys_never_reach_the_log(server: Server) -> None:
    with Scenario(server, "wrong-keys"):
        for _ in range(50):
            code, _ = post(server, c.spans_body("never"), {**PROTO, "Authorization": "Bearer wrong-secret-0xDEAD"})
            assert code == 401
    assert "wrong-secret-0xDEAD" not in server.log_text()


def test_connections_past_the_cap_are_closed_at_once(server: Server) -> None:
    before = server.metric("otelhouse_collector_client_events_total", reason="too_many_connections")
    with Scenario(server, "connections"):
        socks = [c.connect(server.http_port) for _ in range(LIMITS["MAX_CONNECTIONS"] + 20)]
        closed = sum(c.closed_within(sock, 0.1) for sock in socks[-20:])
        for sock in socks:
            sock.close()
    refused = server.metric("otelhouse_collector_client_events_total", reason="too_many_connections") - before
    # the probe's and the good sender's connections count against the cap too (and may be refused)
    assert closed == 20 and 20 <= refused <= 30
    assert "Task exception was never retrieved" not in server.log_text()  # aiohttp's race, see http_server


def _deep_json_value(levels: int) -> dict:
    value: dict = {"stringValue": "leaf"}
    for _ in range(levels):
        value = {"arrayValue": {"values": [value]}}
    return value


@pytest.mark.parametrize("levels", [49, 300])
def test_deep_otlp_json_rejects_only_the_deep_item(server: Server, levels: int) -> None:
    now = str(time.time_ns())
    good = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": f"json-good-{levels}", "startTimeUnixNano": now}
    bad = {
        **good,
        "spanId": "ef" * 8,
        "name": "json-deep",
        "attributes": [{"key": "k", "value": _deep_json_value(levels)}],
    }
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [bad, good]}]}]}).encode()
    code, reply = post(server, body, {"Content-Type": "application/json", "X-API-Key": KEY})
    assert code == 200, reply[:300]
    partial = json.loads(reply)["partialSuccess"]
    assert partial["rejectedSpans"] == "1" and "max_anyvalue_depth" in partial["errorMessage"]
    assert len(partial["errorMessage"]) < 300
    server.acked.add(f"json-good-{levels}")


def test_deep_protobuf_rejects_only_the_deep_item(server: Server) -> None:
    code, reply = post(server, c.deep_body("pb-good", "pb-deep", 500), KEYED)
    assert code == 200
    assert tpb.ExportTraceServiceResponse.FromString(reply).partial_success.rejected_spans == 1
    server.acked.add("pb-good")


def test_no_content_type_is_named_as_missing(server: Server) -> None:
    code, reply = post(server, c.spans_body("x"), {"X-API-Key": KEY, "Content-Type": ""})
    assert code == 415 and b"missing" in reply


def test_zz_everything_acknowledged_alongside_is_stored(server: Server) -> None:
    assert len(server.acked) > 20
    stored = server.stored_span_names()
    assert server.acked <= stored, sorted(server.acked - stored)[:5]
    assert not stored & {"json-deep", "pb-deep", "never", "never-stored"}
