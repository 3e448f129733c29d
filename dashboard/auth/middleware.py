"""Authorization in one place: every request is checked against the route table before its handler runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from dashboard.appstate import render
from dashboard.auth.access import BUILTIN_ROLES, home_of, may_see
from dashboard.auth.identity import IDENTITY, Refused, csrf_subject, identify
from dashboard.auth.state import AUTH_KEY

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSP = (
    "default-src 'self'; script-src 'self'; "
    # plotly.js adds its own <style> elements and style attributes
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Put the security headers on every response, static files and errors included (on_response_prepare)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.headers.get("Authorization", "").startswith("Bearer ")


def refusal(request: web.Request, status: int, message: str) -> web.Response:
    """Answer 401/403/429 as JSON for API clients, as a page for browsers."""
    if wants_json(request):
        response: web.Response = web.json_response({"error": message}, status=status)
    else:
        response = render(request, "error.html", status=status, message=message)
        response.set_status(status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="otelhouse"'
    return response


async def _csrf_ok(request: web.Request) -> bool:
    token = (await request.post()).get("csrf", "")
    return request.app[AUTH_KEY].signer.csrf_ok(csrf_subject(request), str(token))


@web.middleware
async def authorize(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """Identify the caller, check CSRF on forms, then let the route table decide: handler, 401/redirect or 403."""
    state = request.app[AUTH_KEY]
    refused = state.metrics.refused
    try:
        who = request[IDENTITY] = identify(request)
    except Refused as exc:
        refused.labels(reason=exc.reason).inc()
        request[IDENTITY] = None
        return refusal(request, exc.status, str(exc))
    if request.method not in SAFE_METHODS:
        if who is not None and who.via == "token":
            refused.labels(reason="token_write").inc()
            return refusal(request, 403, "API tokens can only read")
        if not await _csrf_ok(request):
            refused.labels(reason="csrf").inc()
            return refusal(request, 403, "the form has expired or did not come from this site; reload it and retry")
    stakeholders = set(state.stakeholders())
    role = who.role if who else None
    if request.path == "/" and role is not None and role not in BUILTIN_ROLES:
        raise web.HTTPFound(home_of(role))
    if may_see(role, request.path, stakeholders):
        return await handler(request)
    if who is None:
        refused.labels(reason="unauthenticated").inc()
        if wants_json(request):
            return refusal(request, 401, "sign in first, or send an API token as 'Authorization: Bearer'")
        raise web.HTTPFound("/login?next=" + quote(request.path_qs, safe="/"))
    refused.labels(reason="forbidden").inc()
    return refusal(request, 403, f"the role {role!r} may not see this page")
