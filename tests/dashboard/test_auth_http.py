"""Login, roles, cookies, CSRF, rate limits and API tokens through the real dashboard app on chDB."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from prometheus_client import generate_latest
from yarl import URL

from dashboard.app import create_app
from dashboard.auth.accounts import changing, with_password, without_token, without_user
from dashboard.auth.identity import COOKIE
from dashboard.auth.passwords import hash_password
from dashboard.auth.signing import Session, Signer, encode_session
from dashboard.auth.state import AUTH_KEY, build_auth, startup_problem
from otelhouse.config import Settings
from storage import Store, schema_options
from tests.conftest import make_settings
from tests.dashboard.authkit import PASSWORD, ROLES, csrf_of, user_of, write_users

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
ENGINEERS = {"admin", "engineer"}
KPI = {
    "/kpi/{stakeholder}",
    "/kpi/{stakeholder}/{page}",
    "/api/kpi/{stakeholder}/{page}",
    "/api/kpi/{stakeholder}/{page}/{file}",
}
# every GET route and who should get it; written out by hand, not derived from the route table
EXPECTED: dict[str, str] = {
    "/healthz": "open",
    "/readyz": "open",
    "/login": "open",
    "/static/app.js": "open",
    "/static/plotly.min.js": "open",
    "/settings/tokens": "signed-in",
    "/": "engineers",
    "/start": "engineers",
    "/services": "engineers",
    "/services/{service}": "engineers",
    "/map": "engineers",
    "/traces": "engineers",
    "/traces/{trace_id}": "engineers",
    "/logs": "engineers",
    "/metrics": "engineers",
    "/api/start": "engineers",
    "/api/services": "engineers",
    "/api/services/{service}": "engineers",
    "/api/map": "engineers",
    "/api/service-names": "engineers",
    "/api/traces": "engineers",
    "/api/traces/{trace_id}": "engineers",
    "/api/traces/{trace_id}/find": "engineers",
    "/api/traces/{trace_id}/spans/{span_id}": "engineers",
    "/api/logs": "engineers",
    "/api/logs/histogram": "engineers",
    "/api/logs/context": "engineers",
    "/api/logs/tail": "engineers",
    "/api/logs/services": "engineers",
    "/api/metrics": "engineers",
    "/api/metrics/series": "engineers",
    "/api/auth/metrics": "admins",
    "/kpi": "admins",  # the index of every stakeholder's pages; a stakeholder's own start at /kpi/{stakeholder}
    "/api/kpi": "admins",
}
FILL = {
    "service": "checkout",
    "trace_id": TRACE_ID,
    "span_id": "b7ad6b7169203331",
    "page": "overview",
    "file": "orders.csv",
}


@pytest.fixture(scope="module")
def auth_store(engine: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    database = "t_auth_http"
    store = Store(engine.target, schema_options(make_settings(Path("/unused")), database))
    store.migrate()
    yield store
    store.call(lambda c: c.command(f"DROP DATABASE IF EXISTS {database}"))


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.json"
    write_users(path)
    return path


def auth_settings(chdb_path: Path, users_file: Path, **env: str) -> Settings:
    return make_settings(
        chdb_path,
        "t_auth_http",
        OTELHOUSE_AUTH_USERS_FILE=str(users_file),
        OTELHOUSE_AUTH_SESSION_KEYS=env.pop("keys", "new-key,old-key"),
        **env,
    )


def make_app(settings: Settings, store: Store, **auth_kw) -> web.Application:
    return create_app(settings, store, auth=build_auth(settings, **auth_kw) if auth_kw else None)


@pytest.fixture
async def client(aiohttp_client, chdb_path: Path, auth_store: Store, users_file: Path):
    return await aiohttp_client(make_app(auth_settings(chdb_path, users_file), auth_store))


async def login(client, name: str, password: str = PASSWORD, next_: str = ""):
    page = await client.get("/login")
    form = {"csrf": csrf_of(await page.text()), "name": name, "password": password, "next": next_}
    return await client.post("/login", data=form, allow_redirects=False)


def counter(app: web.Application, name: str, reason: str) -> float:
    text = generate_latest(app[AUTH_KEY].metrics.registry).decode()
    found = re.search(rf'^otelhouse_dashboard_{name}_total\{{reason="{reason}"\}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def concrete(path: str, stakeholder: str) -> str:
    for key, value in {**FILL, "stakeholder": stakeholder}.items():
        path = path.replace("{" + key + "}", value)
    return path


def outcome(status: int, location: str) -> str:
    if status == 403:
        return "403"
    if status == 401 or location.startswith("/login"):
        return "login"
    return "allowed"


def expected(kind: str, role: str | None, stakeholder: str) -> str:
    if kind == "open":
        return "allowed"
    if role is None:
        return "login"
    if role == "admin" or kind == "signed-in":
        return "allowed"
    if kind == "admins":
        return "403"
    if kind == "engineers":
        return "allowed" if role == "engineer" else "403"
    return "allowed" if role == stakeholder else "403"  # a KPI path


async def test_role_matrix_every_role_every_route(aiohttp_client, chdb_path, auth_store, users_file) -> None:
    app = make_app(auth_settings(chdb_path, users_file), auth_store)  # only to list its routes
    routes = {r.resource.canonical for r in app.router.routes() if r.method == "GET"}
    routes = {"/static/app.js" if p == "/static" else p for p in routes}
    assert routes - KPI == set(EXPECTED), "a GET route is missing from this test's table of who may see it"
    stakeholders = ROLES[2:]
    table = sorted(
        {(concrete(p, s), EXPECTED.get(p, "kpi"), s if p in KPI else "") for p in routes for s in stakeholders}
    )
    wrong = []
    for role in (None, *ROLES):
        client = await aiohttp_client(make_app(auth_settings(chdb_path, users_file), auth_store))
        if role is not None:
            assert (await login(client, user_of(role))).status == 302
        for path, kind, stakeholder in table:
            resp = await client.get(path, allow_redirects=False)
            got = outcome(resp.status, resp.headers.get("Location", ""))
            want = expected(kind, role, stakeholder)
            if path == "/" and role in ROLES[2:]:  # a stakeholder's start page is their KPI pages
                got, want = resp.headers.get("Location", ""), f"/kpi/{role}"
            if got != want or resp.status >= 500:
                wrong.append(f"{role} GET {path}: {resp.status} ({got}), expected {want}")
            if path.startswith("/api/") and resp.status in (401, 403):
                assert resp.content_type == "application/json", path
    assert wrong == []


async def test_stakeholder_refused_logs_and_traces_by_link_url_and_api(client) -> None:
    await login(client, user_of("support"))
    for path in ("/logs", "/traces", f"/traces/{TRACE_ID}", "/api/logs?q=x", "/api/traces", "/api/logs/tail"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 403, path
        assert "may not see" in await resp.text()
    page = await client.get("/kpi/support/customers")
    assert page.status == 200
    nav = await (await client.get("/settings/tokens")).text()
    assert 'href="/logs"' not in nav and 'href="/traces"' not in nav  # no links to what would be refused


async def test_anonymous_page_redirects_to_login_and_api_gets_401_json(client) -> None:
    resp = await client.get("/logs?q=error&from=now-1h", allow_redirects=False)
    location = urlsplit(resp.headers["Location"])
    assert resp.status == 302 and location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/logs?q=error&from=now-1h"]}
    api = await client.get("/api/services")
    assert api.status == 401 and (await api.json())["error"].startswith("sign in first")
    assert api.headers["WWW-Authenticate"].startswith("Bearer")
    # after login the user lands where they were going
    done = await login(client, user_of("engineer"), next_="/logs?q=error")
    assert done.headers["Location"] == "/logs?q=error"
    evil = await login(client, user_of("engineer"), next_="//evil.example/")
    assert evil.headers["Location"] == "/"


async def test_login_cookie_is_signed_httponly_lax_and_secure_only_over_https(
    aiohttp_client, chdb_path, auth_store, users_file
) -> None:
    settings = auth_settings(chdb_path, users_file, OTELHOUSE_AUTH_TRUSTED_PROXIES="127.0.0.1")
    client = await aiohttp_client(make_app(settings, auth_store))
    resp = await login(client, user_of("admin"))
    cookie = resp.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert 0 < int(cookie["max-age"]) <= 12 * 3600
    page = await client.get("/login")
    form = {"csrf": csrf_of(await page.text()), "name": user_of("admin"), "password": PASSWORD}
    https = await client.post("/login", data=form, headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
    assert https.cookies[COOKIE]["secure"]
    # from an address that is not a trusted proxy, the header is ignored
    plain = await aiohttp_client(make_app(auth_settings(chdb_path, users_file), auth_store))
    page = await plain.get("/login")
    form["csrf"] = csrf_of(await page.text())
    spoofed = await plain.post("/login", data=form, headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
    assert spoofed.status == 302 and not spoofed.cookies[COOKIE]["secure"]
    # logout ends the session
    page = await client.get("/settings/tokens")
    out = await client.post("/logout", data={"csrf": csrf_of(await page.text())}, allow_redirects=False)
    assert out.status == 302
    assert (await client.get("/services", allow_redirects=False)).status == 302


async def test_forged_expired_and_old_key_cookies(aiohttp_client, chdb_path, auth_store, users_file) -> None:
    app = make_app(auth_settings(chdb_path, users_file), auth_store)
    client = await aiohttp_client(app)
    now = app[AUTH_KEY].clock()
    admin = user_of("admin")

    async def with_cookie(value: str) -> int:
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies({COOKIE: value})
        return (await client.get("/api/services")).status

    assert await with_cookie(encode_session(Signer(["old-key"]), Session("s1", admin, 0, now + 600))) == 200
    assert await with_cookie(encode_session(Signer(["attacker"]), Session("s2", admin, 0, now + 600))) == 401
    assert counter(app, "refused_requests", "bad_cookie") == 1
    valid = encode_session(Signer(["new-key"]), Session("s3", user_of("finance"), 0, now + 600))
    sig = valid.partition(".")[2]
    elevated = encode_session(Signer(["x"]), Session("s3", admin, 0, now + 600)).partition(".")[0]
    assert await with_cookie(f"{elevated}.{sig}") == 401
    assert counter(app, "refused_requests", "bad_cookie") == 2
    assert await with_cookie(encode_session(Signer(["new-key"]), Session("s4", admin, 0, now - 1))) == 401
    assert counter(app, "refused_requests", "expired_cookie") == 1

    # the old key is retired: its cookies stop working
    rotated = await aiohttp_client(make_app(auth_settings(chdb_path, users_file, keys="newer-key"), auth_store))
    rotated.session.cookie_jar.update_cookies(
        {COOKIE: encode_session(Signer(["old-key"]), Session("s5", admin, 0, now + 600))}
    )
    assert (await rotated.get("/api/services")).status == 401


async def test_forms_without_csrf_token_are_refused_and_counted(client) -> None:
    app = client.app
    page = await client.get("/login")
    token = csrf_of(await page.text())
    for form in ({"name": user_of("admin"), "password": PASSWORD}, {"csrf": "x" + token, "name": user_of("admin")}):
        resp = await client.post("/login", data=form, allow_redirects=False)
        assert resp.status == 403 and COOKIE not in resp.cookies
    await login(client, user_of("admin"))
    assert (await client.post("/logout", data={})).status == 403
    assert (await client.post("/settings/tokens", data={"label": "x"})).status == 403
    assert counter(app, "refused_requests", "csrf") == 4
    exposed = await (await client.get("/api/auth/metrics")).text()  # as an admin's Prometheus scrape sees them
    assert 'otelhouse_dashboard_refused_requests_total{reason="csrf"} 4.0' in exposed
    # a token from another session is no good either
    other = csrf_of(await (await client.get("/settings/tokens")).text())
    assert other != token


async def test_brute_force_login_refused_and_counted(aiohttp_client, chdb_path, auth_store, users_file) -> None:
    now = [0.0]
    settings = auth_settings(
        chdb_path, users_file, OTELHOUSE_AUTH_LOGIN_FAILURES_PER_ADDRESS="8", OTELHOUSE_AUTH_LOGIN_WINDOW_S="600"
    )
    app = make_app(settings, auth_store, monotonic=lambda: now[0])
    client = await aiohttp_client(app)
    for _ in range(5):
        assert (await login(client, user_of("admin"), "guess-guess")).status == 401
    refused = await login(client, user_of("admin"))  # the right password, too late
    assert refused.status == 429 and int(refused.headers["Retry-After"]) == 601
    assert counter(app, "login_failures", "password") == 5
    assert counter(app, "login_failures", "rate_limited") == 1
    # other names from the same address: refused once the address has 8 failures
    for _ in range(3):
        assert (await login(client, "nobody", "guess-guess")).status == 401
    assert (await login(client, user_of("engineer"))).status == 429
    now[0] = 601  # the window passes
    assert (await login(client, user_of("admin"))).status == 302


async def test_api_token_carries_role_reads_only_and_revocation_is_immediate(client, users_file) -> None:
    await login(client, user_of("finance"))
    page = await client.get("/settings/tokens")
    created = await client.post("/settings/tokens", data={"csrf": csrf_of(await page.text()), "label": "Power BI"})
    html = await created.text()
    secret = re.search(r'id="new-token-secret">(oht_[^<]+)<', html).group(1)
    assert "Power BI" in html
    # stored hashed: the secret is nowhere in the file
    assert secret not in users_file.read_text() and "Power BI" in users_file.read_text()
    assert secret not in await (await client.get("/settings/tokens")).text()  # shown once

    bearer = {"Authorization": f"Bearer {secret}"}
    client.session.cookie_jar.clear()
    ok = await client.get("/api/kpi/finance/revenue/orders.csv", headers=bearer)
    assert ok.status == 200
    assert (await client.get("/api/kpi/product/growth/orders.csv", headers=bearer)).status == 403
    assert (await client.get("/api/logs", headers=bearer)).status == 403
    write = await client.post("/settings/tokens", data={"label": "x"}, headers=bearer)
    assert write.status == 403 and "only read" in (await write.json())["error"]

    token_id = secret.split("_")[1]
    with changing(users_file) as box:  # what `otelhouse tokens revoke` does, from another process
        box[0] = without_token(box[0], token_id)
    gone = await client.get("/api/kpi/finance/revenue/orders.csv", headers=bearer)
    assert gone.status == 401 and "not valid" in (await gone.json())["error"]
    assert counter(client.app, "refused_requests", "bad_token") == 1


async def test_token_revoked_from_settings_page(client) -> None:
    await login(client, user_of("engineer"))
    page = await client.get("/settings/tokens")
    html = await (await client.post("/settings/tokens", data={"csrf": csrf_of(await page.text())})).text()
    secret = re.search(r"(oht_[0-9a-f]+_\S+?)<", html).group(1)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/services", headers=bearer)).status == 200
    revoke = await client.post(
        f"/settings/tokens/{secret.split('_')[1]}/revoke", data={"csrf": csrf_of(html)}, allow_redirects=False
    )
    assert revoke.status == 302
    assert (await client.get("/api/services", headers=bearer)).status == 401


async def test_removed_user_and_changed_password_sign_out_at_once(client, users_file) -> None:
    await login(client, user_of("engineer"))
    assert (await client.get("/api/services")).status == 200
    with changing(users_file) as box:
        box[0] = with_password(box[0], user_of("engineer"), hash_password("another password"))
    assert (await client.get("/api/services")).status == 401
    await login(client, user_of("product"))
    assert (await client.get("/kpi/product/growth")).status == 200
    with changing(users_file) as box:
        box[0] = without_user(box[0], user_of("product"))
    assert (await client.get("/kpi/product/growth", allow_redirects=False)).status == 302


async def test_security_headers_on_every_response(client) -> None:
    await login(client, user_of("engineer"))
    for path in ("/login", "/services", "/static/app.css", "/api/services", "/nope", "/api/logs?from=bad", "/healthz"):
        resp = await client.get(path, allow_redirects=False)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
    html = await (await client.get("/services")).text()
    assert "<script>" not in html  # no inline scripts: every script has a src


async def test_development_without_users_is_open_with_a_banner(aiohttp_client, chdb_path, auth_store, tmp_path):
    settings = auth_settings(chdb_path, tmp_path / "none.json")
    client = await aiohttp_client(make_app(settings, auth_store))
    page = await client.get("/services")
    assert page.status == 200 and 'id="open-banner"' in await page.text()
    assert (await client.get("/kpi/finance/revenue")).status == 200  # everyone is admin
    assert (await client.get("/login", allow_redirects=False)).status == 302
    assert startup_problem(settings) == ""


async def test_staging_and_production_require_login(aiohttp_client, chdb_path, auth_store, tmp_path, users_file):
    empty = auth_settings(chdb_path, tmp_path / "none.json", OTELHOUSE_ENV="staging")
    assert "no dashboard users in" in startup_problem(empty) and "otelhouse users add" in startup_problem(empty)
    client = await aiohttp_client(make_app(empty, auth_store))
    assert (await client.get("/services", allow_redirects=False)).status == 302
    assert startup_problem(auth_settings(chdb_path, users_file, OTELHOUSE_ENV="production")) == ""
    torn = tmp_path / "torn.json"
    torn.write_text("{")
    assert "not a valid users file" in startup_problem(auth_settings(chdb_path, torn, OTELHOUSE_ENV="staging"))


async def test_proxy_user_header_only_from_trusted_proxies(aiohttp_client, chdb_path, auth_store, users_file):
    header = {"X-Forwarded-User": user_of("engineer")}

    def behind(proxies: str) -> Settings:
        return auth_settings(
            chdb_path,
            users_file,
            OTELHOUSE_AUTH_PROXY_USER_HEADER="X-Forwarded-User",
            OTELHOUSE_AUTH_TRUSTED_PROXIES=proxies,
        )

    client = await aiohttp_client(make_app(behind("127.0.0.0/8"), auth_store))
    assert (await client.get("/api/services", headers=header)).status == 200
    assert (await client.get("/api/logs", headers={"X-Forwarded-User": user_of("finance")})).status == 403
    unknown = await client.get("/api/services", headers={"X-Forwarded-User": "mallory"})
    assert unknown.status == 403
    page = await client.get("/settings/tokens", headers=header)  # forms work without a session cookie
    made = await client.post("/settings/tokens", data={"csrf": csrf_of(await page.text())}, headers=header)
    assert made.status == 200 and "oht_" in await made.text()

    other = await aiohttp_client(make_app(behind("10.9.9.9"), auth_store))
    assert (await other.get("/api/services", headers=header)).status == 401


async def test_dot_segments_cannot_walk_from_own_kpi_pages_to_logs(client) -> None:
    await login(client, user_of("finance"))
    for raw in ("/api/kpi/finance/%2e%2e/%2e%2e/logs", "/api/kpi/finance/x/..%2f..%2f..%2flogs"):
        resp = await client.get(URL(raw, encoded=True))
        # the route table and the router read the same decoded path: a KPI route or none, never the logs API
        assert resp.status == 404 and "logs" not in await resp.text(), raw
    assert (await client.get(URL("/api/kpi/product/%2e%2e/finance/x", encoded=True))).status == 403
