"""The provisioning folder is what Grafana loads: datasources, the provider, and dashboards that hold together."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from prometheus_client.parser import text_string_to_metric_families

from grafana.boards import build_all
from grafana.boards.__main__ import FOLDER, render
from grafana.boards.model import PROMETHEUS
from tests.grafana.conftest import Shop
from tests.grafana.files import MOUNTED_AT, PROVISIONING, ROOT, dashboards, datasources, panels, providers, targets

BOARDS = dashboards()


def _clickhouse() -> dict[str, Any]:
    return next(d for d in datasources() if d["type"] == "grafana-clickhouse-datasource")


def test_clickhouse_datasource_uses_the_plugins_provisioning_keys() -> None:
    ds = _clickhouse()
    json_data = ds["jsonData"]
    assert {"host", "port", "protocol", "username", "defaultDatabase"} <= set(json_data)
    assert json_data["protocol"] in ("http", "native")
    for signal, table in (("logs", "otel_logs"), ("traces", "otel_traces")):
        assert json_data[signal]["otelEnabled"] is True
        assert json_data[signal]["defaultTable"] == table
        assert json_data[signal]["defaultDatabase"] == json_data["defaultDatabase"]
    assert json_data["traces"]["durationUnit"] == "nanoseconds"  # otel_traces.Duration
    # the password is never in the file: Grafana reads it from a secret file or the environment
    assert re.fullmatch(r"\$__(file|env)\{[^}]+\}", ds["secureJsonData"]["password"])
    assert "password" not in json_data


def test_clickhouse_datasource_matches_the_compose_stack() -> None:
    """Same server and database as otelhouse's services in docker-compose.yml, as the read-only user the
    ClickHouse service creates on its first start, with that user's password file (never the writer's)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    url = compose["services"]["collector-1"]["environment"]["OTELHOUSE_CLICKHOUSE_URL"]
    parts = urlsplit(url)
    json_data = _clickhouse()["jsonData"]
    assert (json_data["host"], json_data["port"]) == (parts.hostname, parts.port)
    assert json_data["defaultDatabase"] == parts.path.strip("/")
    assert json_data["username"] == "grafana" != parts.username
    reader = (ROOT / "deploy/clickhouse/initdb/grafana-reader.sh").read_text()
    assert "CREATE USER IF NOT EXISTS grafana" in reader and "readonly = 2" in reader
    assert "GRANT SELECT ON ${CLICKHOUSE_DB}.* TO grafana;" in reader
    clickhouse = compose["services"]["clickhouse"]
    assert "./deploy/clickhouse/initdb:/docker-entrypoint-initdb.d:ro" in clickhouse["volumes"]
    assert "grafana_clickhouse_password" in clickhouse["secrets"]
    grafana = compose["services"]["grafana"]
    assert "grafana_clickhouse_password" in grafana["secrets"] and "clickhouse_password" not in grafana["secrets"]
    assert _clickhouse()["secureJsonData"]["password"] == "$__file{/run/secrets/grafana_clickhouse_password}"
    mounts = [v.split(":") for v in grafana["volumes"]]
    assert ["./grafana/provisioning", MOUNTED_AT, "ro"] in mounts or ["./grafana/provisioning", MOUNTED_AT] in mounts


def test_datasource_uids_are_unique_and_prometheus_is_the_collectors() -> None:
    uids = [d["uid"] for d in datasources()]
    assert len(uids) == len(set(uids))
    prometheus = next(d for d in datasources() if d["type"] == "prometheus")
    assert prometheus["url"] == "http://prometheus:9090"
    assert sum(bool(d.get("isDefault")) for d in datasources()) == 1


def test_provider_path_is_inside_the_mount_and_holds_every_dashboard() -> None:
    (provider,) = providers()
    path = Path(provider["options"]["path"])
    assert provider["type"] == "file" and path.is_relative_to(MOUNTED_AT)
    assert PROVISIONING / path.relative_to(MOUNTED_AT) == FOLDER
    assert {Path(name).name for name in BOARDS} == set(build_all())


def test_committed_dashboards_are_the_generated_ones() -> None:
    """The JSON files are generated: run `python -m grafana.boards` after changing grafana/boards/."""
    for name, board in build_all().items():
        assert (FOLDER / name).read_text() == render(board), name


def test_dashboards_are_current_and_consistent() -> None:
    uids = [b["uid"] for b in BOARDS.values()]
    assert len(uids) == len(set(uids))
    known = {d["uid"] for d in datasources()}
    for name, board in BOARDS.items():
        assert board["schemaVersion"] >= 39, name
        ids = [p["id"] for p in panels(board)]
        assert len(ids) == len(set(ids)), name
        refs = [p["datasource"] for p in panels(board) if "datasource" in p]
        refs += [t["datasource"] for _, t in targets(board)]
        refs += [v["datasource"] for v in board["templating"]["list"] if "datasource" in v]
        assert {r["uid"] for r in refs} <= known, name
        for panel in panels(board):
            if panel["type"] != "row":
                grid = panel["gridPos"]
                assert grid["x"] + grid["w"] <= 24, (name, panel["title"])
                assert panel["targets"], (name, panel["title"])


def test_clickhouse_queries_are_time_bounded_and_use_the_default_database() -> None:
    """Each query reads a time range (or one trace's, looked up by id), from tables named without a database."""
    for name, board in BOARDS.items():
        queries = [t["rawSql"] for _, t in targets(board) if "rawSql" in t]
        queries += [
            v["query"]["rawSql"] for v in board["templating"]["list"] if v["type"] == "query" and "rawSql" in v["query"]
        ]
        for sql in queries:
            assert "$__timeFilter(" in sql or "otel_traces_trace_id_ts" in sql, (name, sql)
            assert not re.search(r"\b(FROM|JOIN)\s+\w+\.", sql), (name, sql)


def _links(board: dict[str, Any]) -> list[str]:
    urls = []
    for panel in panels(board):
        for override in panel.get("fieldConfig", {}).get("overrides", []):
            for prop in override["properties"]:
                urls += [link["url"] for link in prop["value"]] if prop["id"] == "links" else []
    return urls


def test_data_links_open_provisioned_dashboards_with_their_variables() -> None:
    by_uid = {b["uid"]: b for b in BOARDS.values()}
    linked = set()
    for name, board in BOARDS.items():
        for url in _links(board):
            m = re.match(r"/d/([\w-]+)/[\w-]+\?(.*)$", url)
            assert m and m.group(1) in by_uid, (name, url)
            target = by_uid[m.group(1)]
            names = {v["name"] for v in target["templating"]["list"]}
            for key, _ in parse_qsl(m.group(2).replace("${__url_time_range}", "")):
                assert key.removeprefix("var-") in names, (name, url)
            for var in re.findall(r"\$\{(\w+):queryparam\}", url):
                assert var in names, (name, url)
            linked.add((board["uid"], m.group(1)))
    # a service leads to its traces and its logs
    assert {("otelhouse-services", "otelhouse-traces"), ("otelhouse-services", "otelhouse-logs")} <= linked
    assert ("otelhouse-traces", "otelhouse-logs") in linked and ("otelhouse-logs", "otelhouse-traces") in linked


def _promql() -> list[str]:
    exprs = []
    for board in BOARDS.values():
        exprs += [t["expr"] for _, t in targets(board) if "expr" in t]
        exprs += [v["definition"] for v in board["templating"]["list"] if v.get("datasource") == PROMETHEUS]
    return exprs


def test_promql_parses(tmp_path: Path) -> None:
    """promtool parses every expression (Grafana's $__rate_interval and $instance filled in as it would)."""
    rules = [
        {"record": f"otelhouse:check_{i}", "expr": e.replace("$__rate_interval", "1m").replace("$instance", ".*")}
        for i, e in enumerate(_promql())
        if not e.startswith("label_values(")
    ]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "grafana", "rules": rules}]}))
    done = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promql_names_metrics_the_collector_exposes(shop: Shop) -> None:
    exposed = set()
    for family in text_string_to_metric_families(shop.exposition):
        exposed |= {family.name, *(s.name for s in family.samples)}
        exposed |= {family.name + suffix for suffix in ("_total", "_bucket", "_count", "_sum")}
    used = {name for e in _promql() for name in re.findall(r"\botelhouse_\w+", e)}
    assert used and used <= exposed, used - exposed
