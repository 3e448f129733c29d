"""otelhouse's Grafana dashboards, generated as JSON into grafana/provisioning/dashboards/otelhouse/."""

from __future__ import annotations

from typing import Any

from grafana.boards import business, collector, logs, services, traces

BOARDS = {
    "service-overview.json": services.build,
    "traces.json": traces.build,
    "logs.json": logs.build,
    "collector-health.json": collector.build,
    "business-kpis.json": business.build,
}


def build_all() -> dict[str, dict[str, Any]]:
    """Return every dashboard by its file name."""
    return {name: build() for name, build in BOARDS.items()}
