"""Login, logout and the API-token settings page: thin handlers over the auth state."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dashboard.appstate import render
from dashboard.auth.access import home_of
from dashboard.auth.accounts import AccountError, changing, with_token, without_token
from dashboard.auth.apitokens import new_token
from dashboard.auth.identity import COOKIE, IDENTITY, SESSION, Identity, client_address, is_https
from dashboard.auth.middleware import refusal
from dashboard.auth.passwords import dummy_hash, verify_password
from dashboard.auth.signing import Session, encode_session, new_session
from dashboard.auth.state import AUTH_KEY, AuthState

MAX_LABEL = 80
MAX_NAME = 64  # longer names exist nowhere; the per-name limiter keeps no more of one


def safe_next(value: str) -> str:
    """Return a local path to go to after login, or '' (never another site: no //host, no scheme)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(ord(c) < 32 for c in value):
        return ""
    return value


def _set_session(response: web.StreamResponse, request: web.Request, state: AuthState, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        encode_session(state.signer, session),
        max_age=int(session.expires - state.clock()),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request, state),
    )


def _visitor_session(request: web.Request, state: AuthState) -> Session:
    """Return the visitor's session, starting an anonymous one (for the login form's CSRF token) if needed."""
    session = request.get(SESSION)
    if session is None:
        session = request[SESSION] = new_session("", 0, state.clock(), 1.0)
    return session


def _login_page(request: web.Request, status: int = 200, message: str = "", name: str = "") -> web.Response:
    state = request.app[AUTH_KEY]
    session = _visitor_session(request, state)
    response = render(request, "login.html", message=message, name=name, next=safe_next(request.query.get("next", "")))
    response.set_status(status)
    _set_session(response, request, state, session)
    return response


async def login_form(request: web.Request) -> web.Response:
    who: Identity | None = request[IDENTITY]
    if who is not None:
        raise web.HTTPFound(safe_next(request.query.get("next", "")) or home_of(who.role))
    return _login_page(request)


async def login(request: web.Request) -> web.Response:
    """Check a name and password, refusing once the name or the address has failed too often."""
    state = request.app[AUTH_KEY]
    form = await request.post()
    name, password = str(form.get("name", "")).strip()[:MAX_NAME], str(form.get("password", ""))
    address = client_address(request, state)
    wait = max(state.per_user.retry_after(name), state.per_address.retry_after(address))
    if wait:
        state.metrics.login_failures.labels(reason="rate_limited").inc()
        response = refusal(request, 429, f"too many failed logins; try again in {int(wait // 60) + 1} minutes")
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = state.accounts.current().users.get(name)
    stored = user.password if user is not None and user.password else dummy_hash()
    ok = await asyncio.to_thread(verify_password, password, stored)
    if not ok or user is None or not user.password:
        state.per_user.fail(name)
        state.per_address.fail(address)
        state.metrics.login_failures.labels(reason="password").inc()
        return _login_page(request, 401, "Wrong user name or password.", name)
    state.per_user.clear(name)
    state.metrics.logins.inc()
    target = safe_next(str(form.get("next", ""))) or home_of(user.role)
    response = web.HTTPFound(target)
    # a new session id at login: a session planted before it is worth nothing
    _set_session(
        response, request, state, new_session(user.name, user.epoch, state.clock(), state.settings.session_hours)
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


def _tokens_page(request: web.Request, new_secret: str = "", message: str = "") -> web.Response:
    who: Identity = request[IDENTITY]
    accounts = request.app[AUTH_KEY].accounts.current()
    tokens = accounts.tokens_of(who.user) if who.user else []
    response = render(request, "tokens.html", tokens=tokens, new_secret=new_secret, message=message, who=who)
    response.headers["Cache-Control"] = "no-store"  # it may show a new token's secret
    return response


async def tokens(request: web.Request) -> web.Response:
    return _tokens_page(request)


def _users_file(request: web.Request) -> Path:
    return Path(request.app[AUTH_KEY].settings.users_file)


def _create(path: Path, user: str, label: str) -> str:
    secret, token = new_token(user, label)
    with changing(path) as box:
        box[0] = with_token(box[0], token)
    return secret


def _revoke(path: Path, user: str, token_id: str) -> None:
    with changing(path) as box:
        box[0] = without_token(box[0], token_id, user)


async def create_token(request: web.Request) -> web.Response:
    """Create a token for the signed-in user and show its secret this once."""
    who: Identity = request[IDENTITY]
    if not who.user:
        return _tokens_page(request, message="API tokens belong to users; add one with `otelhouse users add`.")
    label = str((await request.post()).get("label", "")).strip()[:MAX_LABEL] or "token"
    try:
        secret = await asyncio.to_thread(_create, _users_file(request), who.user, label)
    except AccountError as exc:
        return _tokens_page(request, message=str(exc))
    return _tokens_page(request, new_secret=secret)


async def revoke_token(request: web.Request) -> web.Response:
    """Revoke one of the signed-in user's tokens; it stops working at once."""
    who: Identity = request[IDENTITY]
    try:
        await asyncio.to_thread(_revoke, _users_file(request), who.user, request.match_info["token_id"])
    except AccountError as exc:
        return _tokens_page(request, message=str(exc))
    raise web.HTTPFound("/settings/tokens")


async def counters(request: web.Request) -> web.Response:
    """The login and refusal counters in Prometheus text, for a dashboard running without a collector."""
    body = generate_latest(request.app[AUTH_KEY].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


ROUTES = [
    web.get("/login", login_form),
    web.post("/login", login),
    web.post("/logout", logout),
    web.get("/settings/tokens", tokens),
    web.post("/settings/tokens", create_token),
    web.post("/settings/tokens/{token_id}/revoke", revoke_token),
    web.get("/api/auth/metrics", counters),  # unlisted in the route table: admins (and their tokens) only
]
