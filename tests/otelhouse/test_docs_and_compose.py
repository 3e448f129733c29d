"""Docs and deployment files stay in step with the code: generated settings reference, compose file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from otelhouse.config import load_settings
from otelhouse.config.loader import _variable_target
from otelhouse.config.show import render_reference

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_doc_lists_every_setting() -> None:
    """docs/configuration.md ends with the generated reference (regenerate: python -m otelhouse.config.show)."""
    assert (ROOT / "docs" / "configuration.md").read_text().endswith(render_reference())


def test_compose_uses_only_known_settings_and_secret_files() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"clickhouse", "migrate", "collector", "dashboard", "retention", "grafana"} <= set(services)
    for name in ("collector", "dashboard", "retention", "migrate"):
        env = services[name]["environment"]
        assert env["OTELHOUSE_ENV"] == "production"
        for variable in env:
            if variable.startswith("OTELHOUSE_") and variable not in ("OTELHOUSE_ENV",):
                assert _variable_target(variable), f"{name}: {variable} names no setting"
        # production secrets come from files, never inline values
        assert not any(k.endswith(("_PASSWORD", "_API_KEYS", "_SESSION_KEYS")) for k in env)
        assert "clickhouse_password" in services[name]["secrets"]
    assert services["collector"]["ports"] == ["4317:4317", "4318:4318"]
    image = services["clickhouse"]["image"]
    assert re.match(r"clickhouse/clickhouse-server:26\.\d+$", image), image


def test_compose_settings_load_in_production(tmp_path: Path) -> None:
    """The collector's compose environment passes the production secret policy when its files exist."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = dict(compose["services"]["collector"]["environment"])
    for key, value in list(env.items()):
        if key.endswith("_FILE"):
            path = tmp_path / Path(value).name
            path.write_text("a-secret-value\n")
            env[key] = str(path)
    env["OTELHOUSE_AUTH_SESSION_KEYS"] = "x" * 32
    settings = load_settings(env)
    assert settings.clickhouse.url.startswith("http://otelhouse@clickhouse:8123/otel")
    assert settings.clickhouse.password == "a-secret-value"
    assert settings.collector.api_keys == ("a-secret-value",)


def test_grafana_datasource_reads_otel_tables() -> None:
    ds = yaml.safe_load((ROOT / "grafana/provisioning/datasources/clickhouse.yaml").read_text())["datasources"][0]
    assert ds["type"] == "grafana-clickhouse-datasource"
    assert ds["jsonData"]["traces"]["defaultTable"] == "otel_traces"
    assert ds["jsonData"]["logs"]["defaultTable"] == "otel_logs"
    assert ds["jsonData"]["traces"]["otelEnabled"] and ds["jsonData"]["logs"]["otelEnabled"]
