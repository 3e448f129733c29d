"""Docs and deployment files stay in step with the code: generated settings reference, Grafana datasource.

The compose files are checked in test_compose.py.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from otelhouse.config.show import render_reference

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_doc_lists_every_setting() -> None:
    """docs/configuration.md ends with the generated reference (regenerate: python -m otelhouse.config.show)."""
    assert (ROOT / "docs" / "configuration.md").read_text().endswith(render_reference())


def test_grafana_datasource_reads_otel_tables() -> None:
    ds = yaml.safe_load((ROOT / "grafana/provisioning/datasources/clickhouse.yaml").read_text())["datasources"][0]
    assert ds["type"] == "grafana-clickhouse-datasource"
    assert ds["jsonData"]["traces"]["defaultTable"] == "otel_traces"
    assert ds["jsonData"]["logs"]["defaultTable"] == "otel_logs"
    assert ds["jsonData"]["traces"]["otelEnabled"] and ds["jsonData"]["logs"]["otelEnabled"]
