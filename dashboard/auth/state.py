"""The dashboard's authentication state, built once per app from settings."""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from dashboard.auth.access import stakeholder_names
from dashboard.auth.accounts import AccountsFile
from dashboard.auth.metrics import AuthMetrics
from dashboard.auth.ratelimit import FailureLimiter
from dashboard.auth.signing import KeyRing, Signer
from otelhouse.config import AuthSettings, Settings
from otelhouse.secrets import Lookup, fixed

log = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class AuthState:
    settings: AuthSettings
    env: str
    accounts: AccountsFile
    keyring: KeyRing
    per_user: FailureLimiter
    per_address: FailureLimiter
    metrics: AuthMetrics
    stakeholders: Callable[[], Iterable[str]]
    trusted: tuple[Network, ...]
    clock: Callable[[], float] = time.time  # wall clock: a cookie's expiry is a date

    @property
    def signer(self) -> Signer:
        """The Signer of the session keys listed now (they rotate)."""
        return self.keyring.signer()

    def open_mode(self) -> bool:
        """Development with no users (and no proxy identity): everyone is admin, with a banner saying so."""
        return (
            self.env == "development"
            and not self.settings.proxy_user_header
            and not self.accounts.error
            and not self.accounts.current().users
        )

    def trusts(self, address: str | None) -> bool:
        """Say whether a peer address is one of the configured reverse proxies."""
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)


AUTH_KEY = web.AppKey("auth", AuthState)


def _fixed(names: frozenset[str]) -> Callable[[], Iterable[str]]:
    return lambda: names


def build_auth(
    settings: Settings,
    stakeholders: Callable[[], Iterable[str]] | None = None,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
    current: Lookup | None = None,
) -> AuthState:
    """Build the state from [auth] settings; keys are random per start when none are configured.

    With `current`, the session keys listed now sign and verify (they rotate while the server runs).
    """
    a = settings.auth
    if a.session_keys:
        lookup = current or fixed(settings)
        keyring = KeyRing(lambda: lookup("auth.session_keys"))
    else:
        random_key = (secrets.token_hex(32),)
        keyring = KeyRing(lambda: random_key)
        if settings.env != "development":
            log.warning("auth.session_keys is not set: sessions end when the dashboard restarts")
    return AuthState(
        settings=a,
        env=settings.env,
        accounts=AccountsFile(Path(a.users_file)),
        keyring=keyring,
        per_user=FailureLimiter(a.login_failures_per_user, a.login_window_s, monotonic),
        per_address=FailureLimiter(a.login_failures_per_address, a.login_window_s, monotonic),
        metrics=AuthMetrics(),
        stakeholders=stakeholders or _fixed(stakeholder_names(settings)),  # read once, not per request
        trusted=tuple(ipaddress.ip_network(p, strict=False) for p in a.trusted_proxies),
        clock=clock,
    )


def startup_problem(settings: Settings) -> str:
    """Return why the dashboard must not start (staging/production without any way to sign in), or ''."""
    a = settings.auth
    if settings.env == "development" or a.proxy_user_header:
        return ""
    accounts = AccountsFile(Path(a.users_file))
    if accounts.error:
        return accounts.error
    if not accounts.current().users:
        return (
            f"no dashboard users in {a.users_file} and {settings.env} always requires login: add one with "
            "`otelhouse users add NAME --role admin` (or set auth.proxy_user_header behind an SSO proxy)"
        )
    return ""
