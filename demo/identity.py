"""Who the demo's telemetry says it comes from: one resource per simulated service."""

from __future__ import annotations

from otelhouse import __version__

SCOPE = ("otelhouse.demo", __version__)
_VERSIONS = {"frontend": "2.14.0", "checkout": "1.9.3", "payments": "3.2.1", "inventory": "0.17.4", "email": "1.0.8"}


def resource_attributes(service: str) -> dict[str, str]:
    """Return the resource attributes of a simulated service (all carry deployment.environment=demo)."""
    return {
        "service.name": service,
        "service.namespace": "shop",
        "service.version": _VERSIONS[service],
        "deployment.environment": "demo",
        "deployment.environment.name": "demo",
        "host.name": f"{service}-demo-1",
    }
