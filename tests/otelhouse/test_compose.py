"""The deployment files hold without a Docker engine: compose files parsed and checked, the image linted.

Both compose files (one server, and the cluster) are checked the same way: every service has an
image or a build, a health check or is the run-once migration, the environment and secrets its
command needs, volumes for its state, no secret in plain sight; the otelhouse commands exist
(`otelhouse COMMAND --help`), and nothing starts before `migrate` has finished.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from otelhouse.config import load_settings, production_problems
from otelhouse.config.loader import _variable_target

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.cluster.yml")
OTELHOUSE_BIN = Path(sys.executable).with_name("otelhouse")
# what each long-running service keeps, and where (a named volume must be mounted there)
STATE = {
    "clickhouse": "/var/lib/clickhouse",
    "keeper": "/var/lib/clickhouse-keeper",
    "collector": "/app/data",
    "dashboard": "/app/data",
    # ClickHouse writes archives on its own disk, under user_files (docs/retention.md)
    "retention": "/var/lib/clickhouse/user_files",
    "grafana": "/var/lib/grafana",
    "prometheus": "/prometheus",
}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|SESSION_KEY|ACCESS_KEY", re.IGNORECASE)


def _compose(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def _otelhouse(services: dict) -> dict[str, dict]:
    """Return the services that run the otelhouse image (built from ./Dockerfile)."""
    return {n: s for n, s in services.items() if s.get("build") == "."}


def _kind(name: str) -> str:
    return next((k for k in STATE if name.startswith(k)), name)


@pytest.fixture(params=COMPOSE_FILES)
def compose(request: pytest.FixtureRequest) -> dict:
    return _compose(request.param)


def test_every_service_has_an_image_and_a_health_check_or_runs_once(compose: dict) -> None:
    services = compose["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image, got {image}"
        if name == "migrate":
            # run once: the others wait for it to exit 0
            assert service["restart"] == "no" and service["command"] == ["migrate"]
        elif service.get("build") == ".":
            assert "HEALTHCHECK" in dockerfile and "healthcheck" not in service, name  # the image's own
        else:
            assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    assert services["migrate"]["depends_on"]
    assert all(
        s["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        for n, s in services.items()
        if n in _otelhouse(services) and n != "migrate"
    )


def test_nothing_starts_before_migrate_has_finished(compose: dict) -> None:
    services = compose["services"]
    servers = [n for n in services if _kind(n) == "clickhouse"]
    assert services["migrate"]["depends_on"] == {s: {"condition": "service_healthy"} for s in servers}

    def waits_for_migrate(name: str, seen: frozenset = frozenset()) -> bool:
        deps = services[name].get("depends_on", {})
        if deps.get("migrate") == {"condition": "service_completed_successfully"}:
            return True
        return any(waits_for_migrate(d, seen | {name}) for d in deps if d not in seen)

    for name in services:
        if _kind(name) not in ("clickhouse", "keeper") and name != "migrate":
            assert waits_for_migrate(name), f"{name} may start before migrate has finished"


def test_stateful_services_keep_their_state_in_named_volumes(compose: dict) -> None:
    services = compose["services"]
    mounts: dict[str, str] = {}
    for name, service in services.items():
        kind = _kind(name)
        if kind not in STATE:
            continue
        named = [v for v in service.get("volumes", []) if v.split(":")[1] == STATE[kind] and not v.startswith(".")]
        assert len(named) == 1, f"{name}: no named volume at {STATE[kind]}"
        volume = named[0].split(":")[0]
        assert volume in compose["volumes"], volume
        assert volume not in mounts, f"{name} shares {volume} with {mounts.get(volume)}"  # e.g. one log per collector
        mounts[volume] = name
    if "retention" in services:
        # the archives ClickHouse writes are where retention reads and removes them, at the same path
        archive = next(v for v in services["retention"]["volumes"] if v.endswith(":" + STATE["retention"]))
        assert archive in services["clickhouse"]["volumes"]
        env = services["retention"]["environment"]
        assert env["OTELHOUSE_DATA_DIR"].startswith(STATE["retention"] + "/")
        assert services["retention"]["user"] == "101:101"
    collectors = [n for n in services if _kind(n) == "collector"]
    assert len(collectors) >= 2


def test_no_secret_in_plain_sight(compose: dict) -> None:
    names = set(compose["secrets"])
    for name, service in compose["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            if variable.endswith("_FILE"):
                # a secret file mounted by compose, and one this service is given
                secret = re.fullmatch(r"/run/secrets/(\w+)", str(value))
                assert secret and secret.group(1) in service["secrets"], f"{name}: {variable}={value}"
            else:
                assert not SECRET_NAME.search(variable), f"{name}: {variable} holds a secret in plain sight"
            assert "@" not in str(value) or ":" not in str(value).split("@")[0].split("//")[-1], f"{name}: {variable}"
        assert set(service.get("secrets", [])) <= names, name
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("${SECRETS_DIR:-./secrets}/")
    example = (ROOT / ".env.example").read_text()
    assert all(f"#   {n}" in example for n in names), "list every secret file in .env.example"
    assert {"/secrets/", "/.env"} <= set((ROOT / ".gitignore").read_text().split())


def test_otelhouse_services_get_the_settings_their_command_needs(compose: dict, tmp_path: Path) -> None:
    for name, service in _otelhouse(compose["services"]).items():
        env = dict(service["environment"])
        assert env["OTELHOUSE_ENV"] == "production"
        assert env["OTELHOUSE_CLICKHOUSE_URL"].startswith("http://otelhouse@")
        assert env["OTELHOUSE_CLICKHOUSE_PASSWORD_FILE"] == "/run/secrets/clickhouse_password"
        for variable in env:
            if variable not in ("OTELHOUSE_ENV",):
                assert _variable_target(variable), f"{name}: {variable} names no setting"
        for key, value in list(env.items()):
            if key.endswith("_FILE"):
                path = tmp_path / Path(value).name
                path.write_text("a-secret-value-of-32-characters!!\n")
                env[key] = str(path)
        settings = load_settings(env)
        assert settings.clickhouse.password == "a-secret-value-of-32-characters!!"
        assert settings.collector.wal_dir == env["OTELHOUSE_DATA_DIR"] + "/wal"
        assert settings.retention.archive_dir == env["OTELHOUSE_DATA_DIR"] + "/archive"
        command = service["command"][0]
        if command == "dashboard":
            assert not production_problems(settings), production_problems(settings)
            assert settings.dashboard.host == "0.0.0.0"
        if command == "collector":
            assert settings.collector.api_keys == ("a-secret-value-of-32-characters!!",)


def test_otelhouse_commands_exist() -> None:
    commands = {s["command"][0] for f in COMPOSE_FILES for s in _otelhouse(_compose(f)["services"]).values()} | {
        "serve"
    }  # the image's default command
    assert commands == {"migrate", "collector", "dashboard", "retention", "serve"}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in sorted(commands):
        done = subprocess.run(
            [str(OTELHOUSE_BIN), command, "--help"], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0 and f"usage: otelhouse {command}" in done.stdout, done.stderr[-500:]


def test_conventional_ports_and_grafana_provisioning(compose: dict) -> None:
    services = compose["services"]
    published = {p.rsplit(":", 1)[-1]: n for n, s in services.items() for p in s.get("ports", [])}
    assert published == {
        "4317": "proxy",
        "4318": "proxy",
        "8080": "dashboard",
        "3000": "grafana",
        "9090": "prometheus",
        "8123": next(n for n in services if _kind(n) == "clickhouse"),
    }
    grafana = services["grafana"]
    assert grafana["image"].startswith("grafana/grafana:")
    assert grafana["environment"]["GF_INSTALL_PLUGINS"] == "grafana-clickhouse-datasource"
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert services["prometheus"]["profiles"] == ["prometheus"]
    assert re.fullmatch(r"clickhouse/clickhouse-server:26\.3", services[published["8123"]]["image"])


def test_grafana_reads_as_a_user_every_clickhouse_server_creates(compose: dict) -> None:
    services = compose["services"]
    provisioning = "".join(p.read_text() for p in (ROOT / "grafana" / "provisioning").rglob("*.yaml"))
    files = set(re.findall(r"\$__file\{/run/secrets/([\w-]+)\}", provisioning))
    assert files and files <= set(services["grafana"]["secrets"])
    assert "clickhouse_password" not in services["grafana"]["secrets"]  # never the writer's password
    # the read-only user is created at each server's first start; a Distributed query needs it on all
    servers = [s for n, s in services.items() if _kind(n) == "clickhouse"]
    assert servers
    for server in servers:
        assert "./deploy/clickhouse/initdb:/docker-entrypoint-initdb.d:ro" in server["volumes"]
        assert {"clickhouse_password", "grafana_clickhouse_password"} <= set(server["secrets"])


def test_proxy_and_prometheus_reach_every_collector() -> None:
    collectors = {n for f in COMPOSE_FILES for n in _compose(f)["services"] if _kind(n) == "collector"}
    nginx = (ROOT / "deploy/nginx/nginx.conf").read_text()
    for port in ("4317", "4318"):
        assert {m for m in re.findall(rf"server (\S+):{port} ", nginx)} == collectors
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert set(job["static_configs"][0]["targets"]) == {f"{c}:4318" for c in collectors}
    promtool = shutil.which("promtool")
    if promtool:
        done = subprocess.run(
            [promtool, "check", "config", "--syntax-only", str(ROOT / "deploy/prometheus/prometheus.yml")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_passes_hadolint_and_builds_a_slim_non_root_image() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    done = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.\d+-slim", text, re.MULTILINE)
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) == 2 and "COPY --from=build /opt/otelhouse" in text
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user == ["10001:10001"]
    assert 'ENTRYPOINT ["otelhouse"]' in text and 'CMD ["python", "-m", "otelhouse.healthcheck"]' in text
    assert not re.search(r"^(ENV|ARG)\b.*(PASSWORD|SECRET|TOKEN|KEY)", text, re.MULTILINE | re.IGNORECASE)
    assert {"secrets", ".env", "data"} <= set((ROOT / ".dockerignore").read_text().split())


def test_operations_doc_names_only_metrics_that_exist() -> None:
    """Every otelhouse_collector_* metric docs/operations.md tells to watch is exposed by a collector."""
    from collector.metrics import CollectorMetrics, WalCollector

    metrics = CollectorMetrics()
    keys = ("records", "bytes", "oldest_age_s", "corrupt_records")
    metrics.registry.register(WalCollector(lambda: {"traces": dict.fromkeys(keys, 0.0)}))
    families = list(metrics.registry.collect())
    # a counter family is named without the _total its samples carry (labelled ones have no sample yet)
    names = {f.name + ("_total" if f.type == "counter" else "") for f in families}
    doc = (ROOT / "docs" / "operations.md").read_text()
    documented = set(re.findall(r"`(otelhouse_(?:collector|log)_\w+)`", doc))
    assert len(documented) > 15 and documented <= names, documented - names
    shared = (ROOT / "otelhouse" / "jobhealth.py").read_text()
    for job, source in (("retention", "retention/health.py"), ("edge_rollup", "dashboard/edge_job.py")):
        code = (ROOT / source).read_text() + shared
        names = re.findall(rf"`otelhouse_{job}_(\w+?)(?:_total)?`", doc)
        assert names and all(f'p + "{name}"' in code for name in names), (job, names)
