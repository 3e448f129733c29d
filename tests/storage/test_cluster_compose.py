"""The cluster of docker-compose.cluster.yml: its config files, its services and the DDL otelhouse runs on it.

No ClickHouse cluster runs here. The DDL for the compose cluster's name is checked table by table as
text, then run on a chDB started with the cluster's own remote_servers and macros (a subprocess, as
chDB reads its config once per process). What chDB cannot do is asserted too, with its reason:
ON CLUSTER (chDB runs no distributed DDL queue: "Replicated DDL queries are disabled") and inserts
into Replicated tables (no Keeper: the tables open read-only); those parts run on the real cluster only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from storage.schema import MIGRATIONS, TABLES, SchemaOptions, render
from storage.writer import cluster_settings, insert_settings

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_XML = ROOT / "deploy" / "clickhouse" / "cluster.xml"
KEEPER_XML = ROOT / "deploy" / "clickhouse" / "keeper.xml"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.cluster.yml").read_text())
SERVICES = COMPOSE["services"]
OTELHOUSE_PARTS = ("migrate", "collector-1", "collector-2", "dashboard")


def _cluster() -> tuple[str, list[list[str]]]:
    """Return the cluster's name and its shards as lists of replica host names (cluster.xml)."""
    (cluster,) = ET.parse(CLUSTER_XML).getroot().find("remote_servers")
    shards = [[r.findtext("host") for r in shard.iter("replica")] for shard in cluster.iter("shard")]
    return cluster.tag, shards


NAME, SHARDS = _cluster()
OPTS = SchemaOptions(database="otel", cluster=NAME)


def _clickhouse_services() -> dict[str, dict]:
    return {name: s for name, s in SERVICES.items() if s.get("image", "").startswith("clickhouse/clickhouse-server:")}


def test_cluster_config_is_two_shards_of_two_replicas_named_as_the_setting() -> None:
    assert NAME == "otel_cluster"
    assert [len(s) for s in SHARDS] == [2, 2]
    root = ET.parse(CLUSTER_XML).getroot()
    assert all(s.findtext("internal_replication") == "true" for s in root.find(f"remote_servers/{NAME}").iter("shard"))
    assert root.find("remote_servers").get("replace") == "true"
    # the servers trust each other by a secret read from the environment, never written in the file
    assert root.find(f"remote_servers/{NAME}/secret").get("from_env") == "CLICKHOUSE_CLUSTER_SECRET"
    macros = root.find("macros")
    assert macros.find("shard").get("from_env") == "CLICKHOUSE_SHARD"
    assert macros.find("replica").get("from_env") == "CLICKHOUSE_REPLICA"
    for part in OTELHOUSE_PARTS:
        assert SERVICES[part]["environment"]["OTELHOUSE_CLICKHOUSE_CLUSTER"] == NAME, part
        # retention's rolls address the plain (Distributed) tables: not on a cluster yet, TTLs instead
        assert SERVICES[part]["environment"]["OTELHOUSE_RETENTION_ENABLED"] == "false", part
    assert "retention" not in SERVICES


def test_every_replica_is_a_compose_server_with_its_macros() -> None:
    servers = _clickhouse_services()
    hosts = {host: n for n, shard in enumerate(SHARDS, start=1) for host in shard}
    assert set(servers) == set(hosts)
    for name, service in servers.items():
        env = service["environment"]
        assert env["CLICKHOUSE_SHARD"] == str(hosts[name]) and env["CLICKHOUSE_REPLICA"] == name
        assert "./deploy/clickhouse/cluster.xml:/etc/clickhouse-server/config.d/cluster.xml:ro" in service["volumes"]
        assert any(v.endswith(":/var/lib/clickhouse") and not v.startswith(".") for v in service["volumes"])
        assert set(service["secrets"]) == {"clickhouse_password", "cluster_secret", "grafana_clickhouse_password"}
        assert "cat /run/secrets/cluster_secret" in service["entrypoint"][-1]
    # the otelhouse parts talk to servers of the cluster
    for part in OTELHOUSE_PARTS:
        host = re.match(
            r"http://otelhouse@([^:]+):8123/otel$", SERVICES[part]["environment"]["OTELHOUSE_CLICKHOUSE_URL"]
        )
        assert host and host.group(1) in servers, part


def test_keepers_match_the_configs_and_servers_wait_for_them() -> None:
    keepers = {
        name: s for name, s in SERVICES.items() if s.get("image", "").startswith("clickhouse/clickhouse-keeper:")
    }
    assert len(keepers) in (1, 3)
    raft = ET.parse(KEEPER_XML).getroot().find("keeper_server/raft_configuration")
    assert {(s.findtext("id"), s.findtext("hostname")) for s in raft.iter("server")} == {
        (k["environment"]["KEEPER_SERVER_ID"], name) for name, k in keepers.items()
    }
    nodes = {n.findtext("host") for n in ET.parse(CLUSTER_XML).getroot().iter("node")}
    assert nodes == set(keepers)
    for keeper in keepers.values():
        assert "healthcheck" in keeper and any(v.endswith(":/var/lib/clickhouse-keeper") for v in keeper["volumes"])
    for name, server in _clickhouse_services().items():
        assert server["depends_on"] == {k: {"condition": "service_healthy"} for k in keepers}, name
    assert set(SERVICES["migrate"]["depends_on"]) == set(_clickhouse_services())


@pytest.mark.parametrize("m", [m for m in MIGRATIONS if m.kind == "table"], ids=lambda m: m.obj)
def test_each_table_is_replicated_under_a_distributed_table(m) -> None:
    local, distributed = render(m, OPTS)
    head = f"CREATE TABLE IF NOT EXISTS otel.{m.obj}_local ON CLUSTER {NAME}"
    assert local.startswith(head), local[:200]
    engine = f"Replicated{m.engine}('/clickhouse/tables/{{shard}}/otel/{m.obj}_local', '{{replica}}')"
    assert f"ENGINE = {engine}" in local
    assert distributed == (
        f"CREATE TABLE IF NOT EXISTS otel.{m.obj} ON CLUSTER {NAME} AS otel.{m.obj}_local "
        f"ENGINE = Distributed({NAME}, otel, {m.obj}_local, {m.shard_key})"
    )
    if m.obj in TABLES:
        # a replay must reach the shard the first attempt reached (storage/schema.py)
        assert "rand()" not in m.shard_key


def test_views_and_staging_tables_run_on_every_server() -> None:
    for m in MIGRATIONS:
        if m.kind == "table":
            continue
        (statement,) = render(m, OPTS)
        assert f" ON CLUSTER {NAME}" in statement.split("\n", 1)[0], m.name
        assert "Replicated" not in statement and "Distributed" not in statement, m.name
    # the staging views write into the Distributed tables, so rows spread over the shards
    native = {m.obj: render(m, OPTS)[0] for m in MIGRATIONS if m.obj in ("otlp_traces_mv", "otlp_logs_mv")}
    assert "TO otel.otel_traces\n" in native["otlp_traces_mv"] and "TO otel.otel_logs\n" in native["otlp_logs_mv"]


def test_inserts_on_a_cluster_wait_for_every_shard_under_their_token() -> None:
    assert cluster_settings(OPTS) == {"distributed_foreground_insert": 1}
    assert cluster_settings(SchemaOptions(database="otel")) == {}
    token = insert_settings("wal-1:traces:native")
    assert token["insert_deduplication_token"] == "wal-1:traces:native"
    assert token["deduplicate_blocks_in_dependent_materialized_views"] == 1
    assert token["async_insert"] == 0


# what chDB cannot do without a Keeper: store rows in a Replicated table
INSERT = (
    "INSERT INTO otel.otel_logs_local (ServiceName, Body) "
    "SETTINGS insert_deduplication_token = 't', insert_keeper_max_retries = 0 VALUES ('a', 'b')"
)


def _runnable(statement: str) -> str:
    """Strip the ON CLUSTER clause, which chDB refuses (it runs no distributed DDL queue)."""
    return statement.replace(f" ON CLUSTER {NAME}", "")


def test_cluster_ddl_runs_on_chdb_with_the_cluster_config(tmp_path: Path) -> None:
    """Every statement but ON CLUSTER runs on chDB given cluster.xml's remote_servers and macros."""
    root = ET.parse(CLUSTER_XML).getroot()
    # keeper-N do not resolve here: ClickHouse's in-process test keeper stands in, which lets the
    # Replicated tables be created (read-only: it keeps no replication state chDB could use)
    root.remove(root.find("distributed_ddl"))
    keeper = root.find("zookeeper")
    keeper.clear()
    ET.SubElement(keeper, "implementation").text = "testkeeper"
    config = tmp_path / "cluster.xml"
    ET.ElementTree(root).write(config)
    shard, replica = "1", SHARDS[0][0]
    statements = [f"CREATE DATABASE IF NOT EXISTS otel ON CLUSTER {NAME}"]
    statements += [s for m in MIGRATIONS for s in render(m, OPTS)]
    job = {
        "folder": str(tmp_path / "chdb"),
        "config": str(config),
        "env": {"CLICKHOUSE_SHARD": shard, "CLICKHOUSE_REPLICA": replica, "CLICKHOUSE_CLUSTER_SECRET": "test-only"},
        # first as written: ON CLUSTER is refused; then without it, everything runs; last an insert
        "statements": [statements[0], *map(_runnable, statements), INSERT],
    }
    probe = Path(__file__).with_name("chdb_cluster_probe.py")
    done = subprocess.run(
        [sys.executable, str(probe)], input=json.dumps(job), capture_output=True, text=True, timeout=240, check=True
    )
    result = json.loads(done.stdout)
    assert "Replicated DDL queries are disabled" in result["errors"][0]
    failed = {s[:120]: e for s, e in zip(job["statements"][1:-1], result["errors"][1:-1], strict=True) if e}
    assert not failed
    assert "readonly mode" in result["errors"][-1], result["errors"][-1]
    assert sorted(map(tuple, result["macros"])) == [("cluster", NAME), ("replica", replica), ("shard", shard)]
    assert {(c[0], c[1], c[2], c[3]) for c in result["clusters"]} == {
        (NAME, s, r, host) for s, hosts in enumerate(SHARDS, start=1) for r, host in enumerate(hosts, start=1)
    }
    engines = {name: (engine, full) for _, name, engine, full in result["tables"]}
    replicas = {table: (path, name) for table, path, name in result["replicas"]}
    for m in (m for m in MIGRATIONS if m.kind == "table"):
        assert engines[f"{m.obj}_local"][0] == f"Replicated{m.engine}", m.obj
        # the macros were substituted: this server's replica of shard 1 under the table's keeper path
        assert replicas[f"{m.obj}_local"] == (f"/clickhouse/tables/{shard}/otel/{m.obj}_local", replica)
        engine, full = engines[m.obj]
        assert engine == "Distributed" and full.startswith(f"Distributed('{NAME}', 'otel', '{m.obj}_local'"), full
