"""Shared by the auth tests: a users file with one user per role, KPI stand-in routes, form helpers."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.auth.accounts import User, changing, with_user
from dashboard.auth.passwords import hash_password

PASSWORD = "correct horse battery"
ROLES = ("admin", "engineer", "finance", "product", "support")
CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def user_of(role: str) -> str:
    return f"{role}-user"


def write_users(path: Path, roles: tuple[str, ...] = ROLES) -> None:
    """Write one user per role, all with PASSWORD (hashed once: scrypt is slow on purpose)."""
    hashed = hash_password(PASSWORD)
    with changing(path) as box:
        for role in roles:
            box[0] = with_user(box[0], User(user_of(role), role, hashed, "2026-01-01T00:00:00+00:00"))


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)
