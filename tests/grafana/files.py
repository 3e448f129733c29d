"""Read the provisioning folder: datasources, the dashboards provider and the dashboards' JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "grafana" / "provisioning"
MOUNTED_AT = "/etc/grafana/provisioning"  # compose mounts ./grafana/provisioning there, read-only


def datasources() -> list[dict[str, Any]]:
    """Return every provisioned datasource."""
    out = []
    for path in sorted((PROVISIONING / "datasources").glob("*.yaml")):
        out += yaml.safe_load(path.read_text())["datasources"]
    return out


def providers() -> list[dict[str, Any]]:
    """Return every dashboards provider."""
    out = []
    for path in sorted((PROVISIONING / "dashboards").glob("*.yaml")):
        out += yaml.safe_load(path.read_text())["providers"]
    return out


def dashboards() -> dict[str, dict[str, Any]]:
    """Return every dashboard JSON under the providers' folders, by path relative to the provisioning folder."""
    out = {}
    for provider in providers():
        folder = PROVISIONING / Path(provider["options"]["path"]).relative_to(MOUNTED_AT)
        for path in sorted(folder.glob("*.json")):
            out[str(path.relative_to(PROVISIONING))] = json.loads(path.read_text())
    return out


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every panel, rows and the panels inside collapsed rows included."""
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def targets(board: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield (panel, target) for every query of every panel."""
    for panel in panels(board):
        for target in panel.get("targets", []):
            yield panel, target
