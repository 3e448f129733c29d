"""Who is asking: an API token, a trusted proxy's header, a session cookie, or development's open mode."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from dashboard.auth.access import ADMIN, home_of, may_see
from dashboard.auth.apitokens import find_token
from dashboard.auth.signing import Session, decode_session
from dashboard.auth.state import AUTH_KEY, AuthState

COOKIE = "otelhouse_session"


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    via: str  # session, token, proxy or open


IDENTITY = web.RequestKey("identity", Identity | None)
# the cookie's session, perhaps of a visitor who has only opened the login form
SESSION = web.RequestKey("session", Session | None)


class Refused(Exception):
    """A credential was presented and is wrong: answer `status` at once and count `reason`."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


def client_address(request: web.Request, state: AuthState) -> str:
    """Return the client's address: the nearest untrusted hop of X-Forwarded-For when a trusted proxy sent it."""
    peer = request.remote or ""
    if not state.trusts(peer):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not state.trusts(hop):
            return hop
    return peer


def is_https(request: web.Request, state: AuthState) -> bool:
    """Say whether the browser reached us over HTTPS (X-Forwarded-Proto only from a trusted proxy)."""
    if request.scheme == "https":
        return True
    if not state.trusts(request.remote):
        return False
    return request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"


def _from_token(header: str, state: AuthState) -> Identity:
    accounts = state.accounts.current()
    token = find_token(accounts, header[len("Bearer ") :].strip())
    user = accounts.users.get(token.user) if token else None
    if user is None:
        raise Refused(401, "bad_token", "the API token is not valid (revoked, or never issued)")
    return Identity(user.name, user.role, "token")


def _from_proxy(name: str, state: AuthState) -> Identity:
    user = state.accounts.current().users.get(name)
    if user is None:
        raise Refused(403, "proxy_user", "the signed-in user has no otelhouse account")
    return Identity(user.name, user.role, "proxy")


def _session(request: web.Request, state: AuthState) -> Session | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    session, problem = decode_session(state.signer, value, state.clock())
    if problem:
        state.metrics.refused.labels(reason="bad_cookie" if problem == "forged" else "expired_cookie").inc()
    return session


def identify(request: web.Request) -> Identity | None:
    """Find who is asking and keep the session on the request; raise Refused for a wrong credential."""
    state = request.app[AUTH_KEY]
    session = request[SESSION] = _session(request, state)
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return _from_token(auth, state)
    header = state.settings.proxy_user_header
    if header and state.trusts(request.remote) and request.headers.get(header):
        return _from_proxy(request.headers[header].strip(), state)
    if session is not None and session.user:
        user = state.accounts.current().users.get(session.user)
        # a removed user, or one whose password changed since, is signed out at once
        if user is not None and user.epoch == session.epoch:
            return Identity(user.name, user.role, "session")
    if state.open_mode():
        return Identity("", ADMIN, "open")
    return None


def csrf_subject(request: web.Request) -> str:
    """Return what a form's CSRF token is bound to: the session, or the user a trusted proxy names; else ''."""
    session = request.get(SESSION)
    if session is not None:
        return session.sid
    who = request.get(IDENTITY)
    return f"proxy:{who.user}" if who is not None and who.via == "proxy" else ""


def csrf_token(request: web.Request) -> str:
    """Return the CSRF token for forms on this page ('' when there is nothing to bind it to)."""
    subject = csrf_subject(request)
    return request.app[AUTH_KEY].signer.csrf_token(subject) if subject else ""


def template_context(request: web.Request) -> dict:
    """What every page's layout shows of the signed-in user: name, role, open-mode banner, allowed links."""
    if AUTH_KEY not in request.app:
        return {}
    state = request.app[AUTH_KEY]
    who: Identity | None = request.get(IDENTITY)
    role = who.role if who else None
    stakeholders = set(state.stakeholders())
    return {
        "user": who.user if who else "",
        "role": role or "",
        "open_mode": bool(who and who.via == "open"),
        "via": who.via if who else "",
        "csrf": csrf_token(request),
        "may": lambda path: may_see(role, path, stakeholders),
        "home": home_of(role) if role else "/",
    }
