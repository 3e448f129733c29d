"""`otelhouse users` and `otelhouse tokens` as an administrator runs them, and the dashboard's start-up rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import pytest

from dashboard.auth.accounts import read_accounts
from dashboard.auth.apitokens import find_token
from dashboard.auth.passwords import verify_password
from otelhouse import cli
from otelhouse.runtime import StartupError, start_parts, stop_parts
from storage import Store, schema_options
from tests.conftest import free_port, make_settings
from tests.otelhouse.test_cli import run

PASSWORD = "a long enough password"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    return {"OTELHOUSE_AUTH_USERS_FILE": str(tmp_path / "data" / "users.json")}


def users_file(env: dict[str, str]) -> Path:
    return Path(env["OTELHOUSE_AUTH_USERS_FILE"])


def test_users_add_list_set_password_remove(env: dict[str, str], tmp_path: Path) -> None:
    pw = str(tmp_path / "pw")
    assert run(["users", "add", "ann", "--role", "finance", "--password-file", pw], env).returncode == 0
    assert run(["users", "add", "bob", "--role", "engineer", "--password-file", pw], env).returncode == 0
    accounts = read_accounts(users_file(env))
    assert verify_password(PASSWORD, accounts.users["ann"].password) and accounts.users["ann"].role == "finance"
    assert PASSWORD not in users_file(env).read_text()

    again = run(["users", "add", "ann", "--role", "admin", "--password-file", pw], env)
    assert again.returncode == 1 and "user 'ann' exists already" in again.stderr
    bad_role = run(["users", "add", "eve", "--role", "boss", "--password-file", pw], env)
    assert bad_role.returncode == 1 and "unknown role 'boss'" in bad_role.stderr and "finance" in bad_role.stderr
    (tmp_path / "short").write_text("abc\n")
    short = run(["users", "add", "eve", "--role", "admin", "--password-file", str(tmp_path / "short")], env)
    assert short.returncode == 1 and "at least 8 characters" in short.stderr

    listed = json.loads(run(["users", "list", "--json"], env).stdout)
    assert [(u["name"], u["role"], u["tokens"]) for u in listed] == [("ann", "finance", 0), ("bob", "engineer", 0)]
    assert "ann" in run(["users", "list"], env).stdout

    (tmp_path / "pw2").write_text("another long password\n")
    assert run(["users", "set-password", "ann", "--password-file", str(tmp_path / "pw2")], env).returncode == 0
    ann = read_accounts(users_file(env)).users["ann"]
    assert verify_password("another long password", ann.password) and ann.epoch == 1

    assert run(["users", "remove", "bob"], env).returncode == 0
    assert set(read_accounts(users_file(env)).users) == {"ann"}
    missing = run(["users", "remove", "bob"], env)
    assert missing.returncode == 1 and "no user 'bob'" in missing.stderr and "Traceback" not in missing.stderr


def test_users_add_prompts_for_the_password_twice(env, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "typo " + PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.run(["users", "add", "cat", "--role", "admin"]) == 0
    assert verify_password(PASSWORD, read_accounts(users_file(env)).users["cat"].password)
    assert cli.run(["users", "set-password", "cat"]) == 1  # the second answer differs


def test_tokens_create_list_revoke(env: dict[str, str], tmp_path: Path) -> None:
    run(["users", "add", "ann", "--role", "finance", "--password-file", str(tmp_path / "pw")], env)
    created = run(["tokens", "create", "ann", "--label", "Power BI"], env)
    secret = created.stdout.strip()
    assert created.returncode == 0 and re.fullmatch(r"oht_[0-9a-f]{12}_\S{40,}", secret)
    accounts = read_accounts(users_file(env))
    token = find_token(accounts, secret)
    assert token is not None and token.label == "Power BI" and secret not in users_file(env).read_text()
    listed = json.loads(run(["tokens", "list", "--json"], env).stdout)
    assert listed == [{"id": token.id, "user": "ann", "label": "Power BI", "created": token.created}]
    assert secret not in run(["tokens", "list"], env).stdout
    nobody = run(["tokens", "create", "zed"], env)
    assert nobody.returncode == 1 and "no user 'zed'" in nobody.stderr
    assert run(["tokens", "revoke", token.id], env).returncode == 0
    assert read_accounts(users_file(env)).tokens == {}


def test_torn_users_file_is_one_clear_line(env: dict[str, str]) -> None:
    users_file(env).parent.mkdir(parents=True)
    users_file(env).write_text("{not json")
    result = run(["users", "list"], env)
    assert result.returncode == 1 and "is not a valid users file" in result.stderr and "Traceback" not in result.stderr


async def test_staging_dashboard_refuses_to_start_without_users(chdb_path, engine: Store, tmp_path: Path) -> None:
    settings = make_settings(
        chdb_path,
        OTELHOUSE_ENV="staging",
        OTELHOUSE_AUTH_USERS_FILE=str(tmp_path / "users.json"),
        OTELHOUSE_DASHBOARD_PORT="0",
    )
    with pytest.raises(StartupError, match=r"no dashboard users in .* `otelhouse users add NAME --role admin`"):
        await start_parts(settings, engine, ["dashboard"])


async def test_refused_logins_counted_in_the_collectors_metrics(chdb_path, engine: Store, tmp_path: Path) -> None:
    database = "t_auth_metrics"
    settings = make_settings(
        chdb_path,
        database,
        OTELHOUSE_AUTH_USERS_FILE=str(tmp_path / "users.json"),
        OTELHOUSE_DASHBOARD_PORT="0",
        OTELHOUSE_COLLECTOR_HOST="127.0.0.1",
        OTELHOUSE_COLLECTOR_HTTP_PORT=str(free_port()),
        OTELHOUSE_COLLECTOR_GRPC_PORT=str(free_port()),
        OTELHOUSE_COLLECTOR_WAL_DIR=str(tmp_path / "wal"),
    )
    store = Store(engine.target, schema_options(settings, database))
    store.migrate()
    running = await start_parts(settings, store, ["collector", "dashboard"])
    try:
        dashboard = f"http://127.0.0.1:{running.ports['dashboard']}"
        async with aiohttp.ClientSession() as http:
            refused = await http.post(f"{dashboard}/login", data={"name": "x", "password": "y"})
            assert refused.status == 403  # no CSRF token
            text = await (await http.get(f"http://127.0.0.1:{running.ports['collector']}/metrics")).text()
        assert 'otelhouse_dashboard_refused_requests_total{reason="csrf"} 1.0' in text
        assert "otelhouse_dashboard_login_failures_total" in text
    finally:
        await stop_parts(running)
        store.call(lambda c: c.command(f"DROP DATABASE IF EXISTS {database}"))
