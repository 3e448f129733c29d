"""The dashboard's security counters, in a registry the collector's /metrics also exposes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class AuthMetrics:
    """Logins, failed logins and refused requests, by reason."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        p = "otelhouse_dashboard_"
        self.logins = Counter(p + "logins", "Successful dashboard logins", registry=self.registry)
        self.login_failures = Counter(
            p + "login_failures",
            "Failed dashboard logins by reason: password (wrong name or password), rate_limited",
            ["reason"],
            registry=self.registry,
        )
        self.refused = Counter(
            p + "refused_requests",
            "Dashboard requests refused by reason: unauthenticated, forbidden, bad_cookie, expired_cookie, "
            "csrf, bad_token, token_write, proxy_user",
            ["reason"],
            registry=self.registry,
        )
