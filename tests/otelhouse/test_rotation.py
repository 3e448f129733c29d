"""Secrets rotate while `otelhouse serve` runs under load: no request fails because of the swap.

Senders post OTLP traces continuously over HTTP and gRPC with ingest key A; the keys file is rewritten
to hold B (renamed over, rewritten in place, or swapped as a Kubernetes secret volume). Every answer
is 200 until the server has seen the new file, then 401 for A; nothing else (no 5xx, no connection
error); A is refused and B accepted within BOUND_S of the swap; what was accepted is in ClickHouse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
import requests
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb

from dashboard.auth.identity import COOKIE
from dashboard.auth.signing import Signer
from otelhouse.secrets import POLL_S
from tests.conftest import free_port, serve_env
from tests.dashboard.authkit import PASSWORD, csrf_of, user_of, write_users
from tests.otelhouse.test_cli import OTELHOUSE, wait_http
from tests.otelhouse.test_secrets import k8s_mount, k8s_swap, replace_by_rename

# the server polls every POLL_S; a second more for a loaded machine (measured gaps are printed)
BOUND_S = POLL_S + 1.0
SPANS_PER_REQUEST = 5
GRPC_TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
KEY_A, KEY_B = "ingest-key-aaaa", "ingest-key-bbbb"  # equal length: an in-place rewrite keeps the size


@dataclass
class Server:
    proc: subprocess.Popen
    folder: Path
    http: str
    grpc: str
    dashboard: str
    log: Path

    def stop(self) -> str:
        """Stop with SIGTERM (everything acknowledged is flushed); return the log, checked clean."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        text = self.log.read_text()
        assert self.proc.returncode == 0, text[-3000:]
        assert "Traceback" not in text
        return text

    def count_spans(self, service: str) -> int:
        """Count a service's spans in the stopped server's embedded store (one process opens it at a time)."""
        script = (
            "import sys; from otelhouse.config import load_settings; from storage import Store; "
            "s = Store.open(load_settings()); "
            "print(s.call(lambda c: c.query('SELECT count() FROM otel_traces WHERE ServiceName = {s:String}', "
            "parameters={'s': sys.argv[1]}).result_rows[0][0])); s.close()"
        )
        env = {**_clean_env(), "OTELHOUSE_CLICKHOUSE_URL": f"chdb://{self.folder}/clickhouse"}
        out = subprocess.run([sys.executable, "-c", script, service], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return int(out.stdout.strip())


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")}


def start_server(folder: Path, **secret_files: Path) -> Server:
    """Start `otelhouse serve` on its own store, reading the given secrets through OTELHOUSE_*_FILE."""
    http, grpc_port, dash = free_port(), free_port(), free_port()
    env = {
        **serve_env(f"chdb://{folder}/clickhouse", folder / "wal", http, grpc_port, dash),
        "PYTHONPATH": str(Path(__file__).parents[2]),  # the server runs in `folder`
        "OTELHOUSE_AUTH_USERS_FILE": str(folder / "users.json"),
        **{f"OTELHOUSE_{name.upper()}_FILE": str(path) for name, path in secret_files.items()},
    }
    log = folder / "server.log"
    proc = subprocess.Popen([*OTELHOUSE, "serve"], env=env, cwd=folder, stderr=log.open("w"))
    server = Server(proc, folder, f"http://127.0.0.1:{http}", f"127.0.0.1:{grpc_port}", f"http://127.0.0.1:{dash}", log)
    try:
        assert wait_http(f"{server.http}/readyz") == 200
        assert wait_http(f"{server.dashboard}/healthz") == 200
    except BaseException:
        proc.kill()
        raise
    return server


def span_body(service: str, sender: int, seq: int) -> bytes:
    req = tpb.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = service
    ss = rs.scope_spans.add()
    now = time.time_ns()
    for i in range(SPANS_PER_REQUEST):
        span_id = (sender << 40 | seq << 8 | i + 1).to_bytes(8, "big")
        span = ss.spans.add(trace_id=sender.to_bytes(16, "big"), span_id=span_id, name="rotate")
        span.start_time_unix_nano, span.end_time_unix_nano = now, now + 1000
    return req.SerializeToString()


@dataclass
class Answer:
    started: float  # monotonic
    ended: float
    outcome: str  # "200", "401", or what went wrong


Send = Callable[[bytes, str], str]


def http_sender(server: Server) -> Send:
    session = requests.Session()

    def send(body: bytes, key: str) -> str:
        headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {key}"}
        return str(session.post(f"{server.http}/v1/traces", data=body, headers=headers, timeout=30).status_code)

    return send


def grpc_sender(server: Server) -> Send:
    channel = grpc.insecure_channel(server.grpc)
    call = channel.unary_unary(GRPC_TRACES, request_serializer=None, response_deserializer=None)

    def send(body: bytes, key: str) -> str:
        try:
            call(body, metadata=(("authorization", f"Bearer {key}"),), timeout=30)
        except grpc.RpcError as exc:
            return "401" if exc.code() == grpc.StatusCode.UNAUTHENTICATED else f"grpc {exc.code().name}"
        return "200"

    return send


@dataclass
class Sender:
    """One thread sending requests back to back with one key until stopped, recording every answer."""

    send: Send
    key: str
    service: str
    number: int
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        seq = 0
        while not self.stop.is_set():
            seq += 1
            started = time.monotonic()
            try:
                outcome = self.send(span_body(self.service, self.number, seq), self.key)
            except Exception as exc:  # a refused or reset connection is a failure of the test's subject
                outcome = f"error {type(exc).__name__}: {exc}"
            self.answers.append(Answer(started, time.monotonic(), outcome))
            time.sleep(0.005)


def run_senders(senders: list[Sender]) -> list[threading.Thread]:
    threads = [threading.Thread(target=s.run, daemon=True) for s in senders]
    for thread in threads:
        thread.start()
    return threads


def stop_senders(senders: list[Sender], threads: list[threading.Thread]) -> None:
    for sender in senders:
        sender.stop.set()
    for thread in threads:
        thread.join(60)


def check_switch(answers: list[Answer], before: str, after: str, swapped_at: float) -> float:
    """Check answers flip once from `before` to `after` (nothing else); return when the first `after` came."""
    outcomes = {a.outcome for a in answers}
    assert outcomes <= {before, after}, f"unexpected answers: {outcomes - {before, after}}"
    first_after = min((a.ended for a in answers if a.outcome == after), default=None)
    assert first_after is not None, f"no {after} within the run"
    assert first_after - swapped_at < BOUND_S, f"the swap took {first_after - swapped_at:.2f} s to apply"
    # once the server has answered with the new keys, every request begun later sees them too
    assert all(a.outcome == after for a in answers if a.started > first_after)
    assert all(a.outcome == after for a in answers if a.started > swapped_at + BOUND_S)
    return first_after - swapped_at


def in_place(path: Path, text: str) -> None:
    path.write_text(text)  # truncate and write: a reader may see the empty file in between


def rotate_under_load(server: Server, service: str, swap: Callable[[], None]) -> dict[str, float]:
    """Send with A over HTTP and gRPC, swap the keys file to B, keep sending with A and with B."""
    old = [Sender(http_sender(server), KEY_A, service, n) for n in (1, 2)]
    old.append(Sender(grpc_sender(server), KEY_A, service, 3))
    new = [Sender(http_sender(server), KEY_B, service, 4), Sender(grpc_sender(server), KEY_B, service, 5)]
    threads = run_senders(old)
    time.sleep(1.5)
    assert all(s.answers for s in old), "no request was answered before the swap"
    swapped_at = time.monotonic()
    swap()
    threads += run_senders(new)
    time.sleep(BOUND_S + 1.5)
    stop_senders(old + new, threads)
    for sender in old:
        assert sender.answers[0].outcome == "200"
    gaps = {f"A refused ({s.number})": check_switch(s.answers, "200", "401", swapped_at) for s in old}
    gaps |= {f"B accepted ({s.number})": check_switch(s.answers, "401", "200", swapped_at) for s in new}
    accepted = sum(a.outcome == "200" for s in old + new for a in s.answers)
    server.stop()
    assert server.count_spans(service) == accepted * SPANS_PER_REQUEST
    gaps["requests"] = sum(len(s.answers) for s in old + new)
    gaps["accepted"] = accepted
    return gaps


@pytest.mark.parametrize("method", ["rename", "in_place", "kubernetes"])
def test_ingest_key_rotates_under_load(tmp_path: Path, method: str) -> None:
    folder = tmp_path
    if method == "kubernetes":
        keys = k8s_mount(folder / "secret", "api_keys", KEY_A, "v1")
        swap = lambda: k8s_swap(folder / "secret", "api_keys", KEY_B, "v2")  # noqa: E731
    else:
        keys = folder / "api_keys"
        keys.write_text(KEY_A + "\n")
        swap = lambda: (replace_by_rename if method == "rename" else in_place)(keys, KEY_B + "\n")  # noqa: E731
    server = start_server(folder, collector_api_keys=keys)
    try:
        gaps = rotate_under_load(server, f"rotate-{method}", swap)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    print(f"{method}: seconds from the swap to the first changed answer: {gaps}")


# the other ingest routes: Loki push, JSON lines, remote write, Jaeger over HTTP, OTLP logs and metrics
ROUTES = ("/loki/api/v1/push", "/v1/logs/json", "/api/v1/write", "/api/traces", "/v1/logs", "/v1/metrics")


def post_status(server: Server, route: str, key: str) -> int:
    """POST an empty body with a key: 401 if the key is refused, else what the route says of the body."""
    headers = {"X-API-Key": key, "Content-Type": "application/x-protobuf"}
    return requests.post(f"{server.http}{route}", data=b"", headers=headers, timeout=30).status_code


def login(server: Server, session: requests.Session) -> str:
    page = session.get(f"{server.dashboard}/login", timeout=30)
    form = {"csrf": csrf_of(page.text), "name": user_of("admin"), "password": PASSWORD, "next": ""}
    answer = session.post(f"{server.dashboard}/login", data=form, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    return answer.cookies[COOKIE]


def api_status(server: Server, cookie: str) -> int:
    answer = requests.get(f"{server.dashboard}/api/service-names", cookies={COOKIE: cookie}, timeout=30)
    return answer.status_code


def wait_for(check: Callable[[], bool], limit_s: float) -> float:
    """Wait until check() holds; return how long it took (fail after limit_s)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit_s, f"not within {limit_s} s"
        time.sleep(0.05)
    return time.monotonic() - start


def test_session_keys_rotate_and_sighup_reloads_at_once(tmp_path: Path) -> None:
    folder = tmp_path
    session_keys, api_keys = folder / "session_keys", folder / "api_keys"
    session_keys.write_text("session-old\n")
    api_keys.write_text(KEY_A)
    write_users(folder / "users.json", ("admin",))
    server = start_server(folder, auth_session_keys=session_keys, collector_api_keys=api_keys)
    try:
        old_cookie = login(server, requests.Session())
        assert Signer(["session-old"]).unsign(old_cookie) is not None

        # under load: the old cookie is used back to back while the new key is added in front
        statuses: list[int] = []
        stop = threading.Event()

        def use_old_cookie() -> None:
            while not stop.is_set():
                statuses.append(api_status(server, old_cookie))

        user = threading.Thread(target=use_old_cookie, daemon=True)
        user.start()
        replace_by_rename(session_keys, "session-new\nsession-old\n")
        new_cookie = ""

        def new_logins_sign_with_the_new_key() -> bool:
            nonlocal new_cookie
            new_cookie = login(server, requests.Session())
            return Signer(["session-new"]).unsign(new_cookie) is not None

        wait_for(new_logins_sign_with_the_new_key, BOUND_S)
        time.sleep(0.5)
        stop.set()
        user.join(30)
        assert statuses and set(statuses) == {200}  # the old cookie kept working while its key was listed
        assert api_status(server, new_cookie) == 200

        replace_by_rename(session_keys, "session-new\n")
        refused_after = wait_for(lambda: api_status(server, old_cookie) == 401, BOUND_S)
        assert api_status(server, new_cookie) == 200

        # SIGHUP: a rewrite polling cannot see (same inode, size and mtime) is loaded at once on the signal
        mtime = api_keys.stat().st_mtime_ns - 10_000_000_000
        os.utime(api_keys, ns=(mtime, mtime))
        time.sleep(2 * POLL_S)  # the server has looked at the file since: its stamp is settled
        send = http_sender(server)
        body = span_body("rotate-sighup", 1, 1)
        assert send(body, KEY_A) == "200"
        api_keys.write_text(KEY_B)
        os.utime(api_keys, ns=(mtime, mtime))
        time.sleep(2 * POLL_S)
        assert send(body, KEY_A) == "200"  # polling did not notice
        server.proc.send_signal(signal.SIGHUP)
        sighup_took = wait_for(lambda: send(body, KEY_A) == "401", 0.5)
        assert send(span_body("rotate-sighup", 1, 2), KEY_B) == "200"
        for route in ROUTES:  # every ingest route asks the same current keys
            assert post_status(server, route, KEY_A) == 401, route
            assert post_status(server, route, KEY_B) not in (401, 500, 502, 503), route
        log = server.stop()
        assert '"msg": "secret reloaded"' in log and "session-old" not in log and KEY_B not in log
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    print(f"old session key refused {refused_after:.2f} s after removal; SIGHUP applied in {sighup_took:.2f} s")


def loaded_at(server: Server, setting: str) -> float:
    """When the running server last loaded a secret, from its /metrics (0 if not listed)."""
    name = "otelhouse_secret_loaded_timestamp_seconds"
    for line in requests.get(f"{server.http}/metrics", timeout=30).text.splitlines():
        if line.startswith(f'{name}{{setting="{setting}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_store_password_and_s3_credentials_rotate_under_load(tmp_path: Path) -> None:
    """The ClickHouse password and the S3 key pair are swapped while senders run: every request is 200.

    The embedded engine takes no password, so what this proves is the swap itself under load: the
    server reloads each file (its /metrics stamp moves), every writer thread opens its next client with
    the new password, no request fails and everything accepted is stored. That a new client really
    carries the new password is checked where clients are built (test_secrets.py), with no server here.
    """
    folder = tmp_path
    files = {
        "clickhouse_password": ("store-password-1", "store-password-2"),
        "retention_s3_access_key_id": ("AKIAOLD", "AKIANEW"),
        "retention_s3_secret_access_key": ("s3-secret-old", "s3-secret-new"),
    }
    for name, (old, _) in files.items():
        (folder / name).write_text(old + "\n")
    server = start_server(folder, **{name: folder / name for name in files})
    service = "rotate-store"
    try:
        settings = {"clickhouse.password", "retention.s3_access_key_id", "retention.s3_secret_access_key"}
        before = {s: loaded_at(server, s) for s in settings}
        assert all(before.values()), f"secrets not listed on /metrics: {before}"
        senders = [Sender(http_sender(server), "", service, 1), Sender(grpc_sender(server), "", service, 2)]
        threads = run_senders(senders)
        time.sleep(1.5)
        for name, (_, new) in files.items():
            replace_by_rename(folder / name, new + "\n")
        took = wait_for(lambda: all(loaded_at(server, s) > before[s] for s in settings), BOUND_S + 1)
        time.sleep(1.5)  # keep sending on the new password
        stop_senders(senders, threads)
        answers = [a for s in senders for a in s.answers]
        assert answers and {a.outcome for a in answers} == {"200"}
        log = server.stop()
        assert log.count('"msg": "secret reloaded"') >= len(files)
        assert not any(new in log for _, new in files.values())
        assert server.count_spans(service) == len(answers) * SPANS_PER_REQUEST
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    print(f"store password and S3 keys reloaded {took:.2f} s after the swap; {len(answers)} requests, all 200")
