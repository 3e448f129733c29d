"""Signed session cookies and CSRF tokens: HMAC-SHA256 under several keys (the first signs, all verify)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Sign with the newest key (the first); accept a signature by any of them, so keys can rotate."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one signing key is needed")
        # derived keys: a key given for sessions is never used as-is
        self._keys = [hashlib.sha256(b"otelhouse-dashboard\0" + k.encode()).digest() for k in keys]

    def _mac(self, key: bytes, text: str) -> str:
        return _b64(hmac.new(key, text.encode(), hashlib.sha256).digest())

    def sign(self, payload: dict) -> str:
        """Return `payload.signature`, both base64url."""
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(self._keys[0], body)}"

    def unsign(self, value: str) -> dict | None:
        """Return the payload if any key signed it, else None."""
        body, _, signature = value.partition(".")
        if not any(hmac.compare_digest(signature, self._mac(k, body)) for k in self._keys):
            return None
        try:
            payload = json.loads(_unb64(body))
        except (ValueError, binascii.Error):
            return None
        return payload if isinstance(payload, dict) else None

    def csrf_token(self, sid: str) -> str:
        """Return the CSRF token of a session."""
        return self._mac(self._keys[0], "csrf:" + sid)

    def csrf_ok(self, sid: str, token: str) -> bool:
        """Say whether a form's CSRF token belongs to the session (under any key)."""
        return bool(sid and token) and any(hmac.compare_digest(token, self._mac(k, "csrf:" + sid)) for k in self._keys)


class KeyRing:
    """The Signer of the keys listed now: rebuilt when they change, so rotated keys apply at once."""

    def __init__(self, keys: Callable[[], Sequence[str]]) -> None:
        self._keys = keys
        self._built: tuple[tuple[str, ...], Signer] | None = None

    def signer(self) -> Signer:
        """Return the Signer for the current keys."""
        keys = tuple(self._keys())
        built = self._built
        if built is None or built[0] != keys:
            built = self._built = (keys, Signer(keys))  # one swap: a concurrent caller sees old or new
        return built[1]


@dataclass(frozen=True)
class Session:
    sid: str
    user: str  # '' for a visitor who has only opened the login form
    epoch: int
    expires: float  # unix seconds


def new_session(user: str, epoch: int, now: float, hours: float) -> Session:
    return Session(secrets.token_urlsafe(18), user, epoch, now + hours * 3600)


def encode_session(signer: Signer, s: Session) -> str:
    return signer.sign({"s": s.sid, "u": s.user, "e": s.epoch, "x": int(s.expires)})


def decode_session(signer: Signer, value: str, now: float) -> tuple[Session | None, str]:
    """Return (the session, '') or (None, why: 'forged' or 'expired')."""
    payload = signer.unsign(value)
    try:
        session = Session(str(payload["s"]), str(payload["u"]), int(payload["e"]), float(payload["x"]))
    except (TypeError, KeyError, ValueError):
        return None, "forged"
    if session.expires <= now:
        return None, "expired"
    return session, ""
