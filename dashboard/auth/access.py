"""Who may see what: the one route table the authorization middleware consults, as pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from otelhouse.config import Settings
from otelhouse.stakeholders import load_stakeholders

ADMIN, ENGINEER = "admin", "engineer"
BUILTIN_ROLES = (ADMIN, ENGINEER)


def stakeholder_names(settings: Settings) -> frozenset[str]:
    """Return the stakeholder names of the stakeholders file, each of which is a role."""
    return load_stakeholders(settings.dashboard.stakeholders_file).names


class Audience(Enum):
    OPEN = "anyone, signed in or not"
    SIGNED_IN = "any signed-in user"
    ENGINEERS = "engineers and admins"
    OWN_KPI = "the stakeholder named in the path, and admins"
    ADMINS = "admins only"


# path prefix -> audience; the longest matching prefix wins; anything unlisted is for admins only.
# `/kpi/{stakeholder}/...` and `/api/kpi/{stakeholder}/...` are the stakeholders' pages and their data.
ROUTE_TABLE: dict[str, Audience] = {
    "/login": Audience.OPEN,
    "/static": Audience.OPEN,
    "/healthz": Audience.OPEN,
    "/readyz": Audience.OPEN,
    "/logout": Audience.SIGNED_IN,
    "/settings/tokens": Audience.SIGNED_IN,
    "/": Audience.ENGINEERS,  # exactly "/" (a stakeholder is sent to their KPI pages instead)
    "/start": Audience.ENGINEERS,
    "/services": Audience.ENGINEERS,
    "/map": Audience.ENGINEERS,
    "/traces": Audience.ENGINEERS,
    "/logs": Audience.ENGINEERS,
    "/metrics": Audience.ENGINEERS,
    "/api/start": Audience.ENGINEERS,
    "/api/services": Audience.ENGINEERS,
    "/api/service-names": Audience.ENGINEERS,
    "/api/map": Audience.ENGINEERS,
    "/api/traces": Audience.ENGINEERS,
    "/api/logs": Audience.ENGINEERS,
    "/api/metrics": Audience.ENGINEERS,
    "/kpi": Audience.OWN_KPI,
    "/api/kpi": Audience.OWN_KPI,
}


def audience(path: str) -> tuple[Audience, str]:
    """Return who may see a path, and the path segment after the prefix (the stakeholder for KPI paths)."""
    if path == "/":
        return ROUTE_TABLE["/"], ""
    best = ""
    for prefix in ROUTE_TABLE:
        if prefix != "/" and (path == prefix or path.startswith(prefix + "/")) and len(prefix) > len(best):
            best = prefix
    if not best:
        return Audience.ADMINS, ""
    rest = path[len(best) :].lstrip("/")
    return ROUTE_TABLE[best], rest.partition("/")[0]


def may_see(role: str | None, path: str, stakeholders: Iterable[str]) -> bool:
    """Say whether a user with `role` (None: not signed in) may see `path`."""
    who, segment = audience(path)
    if who is Audience.OPEN:
        return True
    if role is None:
        return False
    if role == ADMIN or who is Audience.SIGNED_IN:
        return True
    if who is Audience.ENGINEERS:
        return role == ENGINEER
    if who is Audience.OWN_KPI:
        return bool(segment) and role == segment and role in set(stakeholders)
    return False


def role_problem(role: str, stakeholders: Iterable[str]) -> str:
    """Return why a role is not one a user may have, or ''."""
    known = sorted(set(stakeholders))
    if role in BUILTIN_ROLES or role in known:
        return ""
    return f"unknown role {role!r}; roles are admin, engineer and the stakeholders: {', '.join(known)}"


def home_of(role: str) -> str:
    """Return where a user lands after signing in."""
    return "/" if role in BUILTIN_ROLES else f"/kpi/{role}"
