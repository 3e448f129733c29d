"""API tokens for BI tools: high-entropy secrets shown once, stored as SHA-256, found by their id."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from dashboard.auth.accounts import Accounts, Token

PREFIX = "oht_"


def new_token(user: str, label: str, now: datetime | None = None) -> tuple[str, Token]:
    """Return (the secret to show once, the record to store)."""
    token_id = secrets.token_hex(6)
    secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return secret, Token(token_id, user, label, _digest(secret), created)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def find_token(accounts: Accounts, secret: str) -> Token | None:
    """Return the stored token a presented secret matches, or None."""
    if not secret.startswith(PREFIX):
        return None
    token_id = secret[len(PREFIX) :].partition("_")[0]
    token = accounts.tokens.get(token_id)
    if token is None or not hmac.compare_digest(token.sha256, _digest(secret)):
        return None
    return token
