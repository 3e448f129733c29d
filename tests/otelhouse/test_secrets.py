"""The secrets watcher on real files: rename, in-place rewrite, Kubernetes symlink swap, bad files, SIGHUP."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dashboard.auth.signing import KeyRing, Signer
from otelhouse.config import ConfigError, load_settings
from otelhouse.config.loader import MAX_SECRET_FILE_BYTES
from otelhouse.config.show import render_settings
from otelhouse.secrets import SecretFiles, SecretsCollector
from retention.policy import ArchiveRoot
from storage import Store, schema_options
from storage.target import Target

KEYS = "collector.api_keys"


def replace_by_rename(path: Path, text: str) -> None:
    """As Vault Agent and Consul Template do: write a new file, rename it over the old."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def k8s_mount(folder: Path, name: str, text: str, version: str) -> Path:
    """Lay out a Kubernetes secret volume: NAME -> ..data/NAME, ..data -> ..VERSION; return NAME's path."""
    (folder / f"..{version}").mkdir(parents=True)
    (folder / f"..{version}" / name).write_text(text)
    (folder / "..data").symlink_to(f"..{version}")
    (folder / name).symlink_to(f"..data/{name}")
    return folder / name


def k8s_swap(folder: Path, name: str, text: str, version: str) -> None:
    """Rotate as the kubelet does: a new version folder, then one rename of the ..data symlink."""
    (folder / f"..{version}").mkdir()
    (folder / f"..{version}" / name).write_text(text)
    (folder / "..data_tmp").symlink_to(f"..{version}")
    os.replace(folder / "..data_tmp", folder / "..data")


def watcher(tmp_path: Path, text: str = "key-a\n", **env: str) -> tuple[SecretFiles, Path]:
    path = tmp_path / "api_keys"
    path.write_text(text)
    settings = load_settings({"OTELHOUSE_COLLECTOR_API_KEYS_FILE": str(path), **env})
    return SecretFiles(settings), path


def test_only_secrets_from_files_are_watched(tmp_path: Path) -> None:
    secrets, _ = watcher(tmp_path, OTELHOUSE_AUTH_SESSION_KEYS="plain-env-key")
    assert list(secrets.loaded()) == [KEYS]
    assert secrets.current(KEYS) == ("key-a",)
    assert secrets.current("auth.session_keys") == ("plain-env-key",)  # from the environment: as loaded


def test_rename_over_is_loaded_and_recorded(tmp_path: Path) -> None:
    now = [1000.0]
    path = tmp_path / "api_keys"
    path.write_text("key-a")
    secrets = SecretFiles(load_settings({"OTELHOUSE_COLLECTOR_API_KEYS_FILE": str(path)}), clock=lambda: now[0])
    assert secrets.poll() == []  # the first look at an unsettled file reads it again: same value, no swap
    replace_by_rename(path, "key-b\nkey-c\n")
    now[0] = 1005.0
    assert secrets.poll() == [KEYS]
    assert secrets.current(KEYS) == ("key-b", "key-c")
    loaded = secrets.loaded()[KEYS]
    assert loaded.loaded_at == 1005.0 and loaded.path == str(path)
    assert secrets.poll() == []


def test_in_place_rewrite_of_equal_size_within_one_clock_tick_is_seen(tmp_path: Path) -> None:
    secrets, path = watcher(tmp_path)
    secrets.poll()
    mtime = path.stat().st_mtime_ns
    path.write_text("key-b\n")  # same inode, same size
    os.utime(path, ns=(mtime, mtime))  # and the same mtime, as a write within one tick leaves it
    assert secrets.poll() == [KEYS]  # the file was still fresh when read, so its content is compared
    assert secrets.current(KEYS) == ("key-b",)


def test_kubernetes_symlink_swap_is_seen(tmp_path: Path) -> None:
    path = k8s_mount(tmp_path / "mount", "api_keys", "key-a", "2026_12_01_1")
    secrets = SecretFiles(load_settings({"OTELHOUSE_COLLECTOR_API_KEYS_FILE": str(path)}))
    k8s_swap(tmp_path / "mount", "api_keys", "key-b", "2026_12_01_2")
    assert secrets.poll() == [KEYS]
    assert secrets.current(KEYS) == ("key-b",)
    assert secrets.loaded()[KEYS].stamp[0].endswith("..2026_12_01_2/api_keys")


@pytest.mark.parametrize("bad", ["", "   \n", None], ids=["empty", "blank", "removed"])
def test_a_bad_new_file_keeps_the_old_value_and_logs_once(
    tmp_path: Path, bad: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    secrets, path = watcher(tmp_path)
    if bad is None:
        path.unlink()
    else:
        replace_by_rename(path, bad)
    with caplog.at_level(logging.ERROR, logger="otelhouse.secrets"):
        assert secrets.poll() == [] and secrets.poll() == []
    assert secrets.current(KEYS) == ("key-a",)
    errors = [r.getMessage() for r in caplog.records]
    assert (
        len(errors) == 1 and str(path) in errors[0] and "keeping the previous value of collector.api_keys" in errors[0]
    )
    assert "key-a" not in errors[0]
    assert secrets.errors[KEYS] == 1
    replace_by_rename(path, "key-b")
    assert secrets.poll() == [KEYS] and secrets.current(KEYS) == ("key-b",)


@pytest.mark.parametrize(
    ("bad", "why"),
    [(b"key-\xff\n", "not UTF-8"), (b"k" * (MAX_SECRET_FILE_BYTES + 1), "larger than")],
    ids=["not-utf8", "too-large"],
)
def test_a_bad_file_is_refused_and_the_others_still_rotate(
    tmp_path: Path, bad: bytes, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The keys file (polled first) is refused without stopping the session keys' reload in the same poll."""
    session = tmp_path / "session_keys"
    session.write_text("session-old")
    secrets, path = watcher(tmp_path, OTELHOUSE_AUTH_SESSION_KEYS_FILE=str(session))
    assert list(secrets.loaded()) == [KEYS, "auth.session_keys"]
    path.write_bytes(bad)
    replace_by_rename(session, "session-new")
    with caplog.at_level(logging.ERROR, logger="otelhouse.secrets"):
        assert secrets.poll() == ["auth.session_keys"]
    assert secrets.current(KEYS) == ("key-a",) and secrets.current("auth.session_keys") == ("session-new",)
    assert secrets.errors[KEYS] == 1 and [why in r.getMessage() for r in caplog.records] == [True]


def test_a_too_large_file_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "api_keys"
    path.write_bytes(b"k" * (MAX_SECRET_FILE_BYTES + 1))
    with pytest.raises(ConfigError, match=r"OTELHOUSE_COLLECTOR_API_KEYS_FILE: .* is larger than 64 KiB"):
        load_settings({"OTELHOUSE_COLLECTOR_API_KEYS_FILE": str(path)})


def test_forced_reload_reads_a_change_polling_cannot_see(tmp_path: Path) -> None:
    """SIGHUP's path: a same-size rewrite that also restores an old mtime leaves an equal stamp."""
    secrets, path = watcher(tmp_path)
    old = path.stat().st_mtime_ns - 10_000_000_000
    os.utime(path, ns=(old, old))
    secrets.poll()  # now settled: an equal stamp is trusted
    path.write_text("key-b\n")
    os.utime(path, ns=(old, old))
    assert secrets.poll() == [] and secrets.current(KEYS) == ("key-a",)
    assert secrets.poll(force=True) == [KEYS] and secrets.current(KEYS) == ("key-b",)


def test_metrics_and_config_show_say_when_each_secret_was_loaded(tmp_path: Path) -> None:
    secrets, path = watcher(tmp_path)
    path.unlink()
    secrets.poll()
    registry = CollectorRegistry()
    registry.register(SecretsCollector(secrets))
    samples = {
        (s.name, s.labels["setting"]): s.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for s in family.samples
    }
    assert samples[("otelhouse_secret_loaded_timestamp_seconds", KEYS)] == secrets.loaded()[KEYS].loaded_at
    assert samples[("otelhouse_secret_reload_errors_total", KEYS)] == 1.0
    shown = render_settings(secrets.settings, secrets.describe())
    line = next(x for x in shown.splitlines() if x.startswith("api_keys"))
    assert f"secret file {path}" in line and "; loaded 20" in line and "key-a" not in shown


def test_session_keys_rotate_new_signs_old_verifies_until_removed(tmp_path: Path) -> None:
    path = tmp_path / "session_keys"
    path.write_text("old-key")
    secrets = SecretFiles(load_settings({"OTELHOUSE_AUTH_SESSION_KEYS_FILE": str(path)}))
    ring = KeyRing(lambda: secrets.current("auth.session_keys"))
    old_cookie = ring.signer().sign({"s": 1})
    replace_by_rename(path, "new-key\nold-key\n")
    secrets.poll()
    new_cookie = ring.signer().sign({"s": 2})
    assert Signer(["new-key"]).unsign(new_cookie) == {"s": 2}  # new logins sign with the new key
    assert ring.signer().unsign(old_cookie) == {"s": 1}  # the old one still verifies while listed
    replace_by_rename(path, "new-key\n")
    secrets.poll()
    assert ring.signer().unsign(old_cookie) is None and ring.signer().unsign(new_cookie) == {"s": 2}


def test_new_clickhouse_clients_use_the_new_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the connection factory: no ClickHouse server runs here, so open_client records what it is given."""
    opened: list[Target] = []

    class FakeClient:
        def close(self) -> None:
            pass

    def fake_open(target: Target, timeout: float) -> FakeClient:
        opened.append(target)
        return FakeClient()

    monkeypatch.setattr("storage.store.open_client", fake_open)
    path = tmp_path / "password"
    path.write_text("pw-old\n")
    settings = load_settings(
        {
            "OTELHOUSE_CLICKHOUSE_URL": "http://otel@db.invalid:8123/otel",
            "OTELHOUSE_CLICKHOUSE_PASSWORD_FILE": str(path),
        }
    )
    secrets = SecretFiles(settings)
    store = Store.open(settings, secrets.current)
    first = store.client()
    assert store.client() is first and [t.password for t in opened] == ["pw-old"]
    replace_by_rename(path, "pw-new\n")
    secrets.poll()
    second = store.client()
    assert second is not first and [t.password for t in opened] == ["pw-old", "pw-new"]
    assert store.client() is second and opened[-1].username == "otel"
    store.close()
    assert Store(store.target, schema_options(settings, "otel")).current_target().password == "pw-old"


def test_s3_credentials_are_read_at_each_call(tmp_path: Path) -> None:
    key_id, secret = tmp_path / "key_id", tmp_path / "secret"
    key_id.write_text("AKIA-OLD")
    secret.write_text("secret-old")
    settings = load_settings(
        {
            "OTELHOUSE_RETENTION_ARCHIVE_URL": "http://127.0.0.1:9/bucket/archive",
            "OTELHOUSE_RETENTION_S3_ACCESS_KEY_ID_FILE": str(key_id),
            "OTELHOUSE_RETENTION_S3_SECRET_ACCESS_KEY_FILE": str(secret),
        }
    )
    secrets = SecretFiles(settings)
    root = ArchiveRoot.from_settings(settings.retention, secrets.current)
    assert root.credentials() == ("AKIA-OLD", "secret-old")
    replace_by_rename(key_id, "AKIA-NEW")
    replace_by_rename(secret, "secret-new")
    assert sorted(secrets.poll()) == ["retention.s3_access_key_id", "retention.s3_secret_access_key"]
    location = root.location(f"{root.root}/x.parquet")
    assert root.credentials() == ("AKIA-NEW", "secret-new")
    assert (location.key_id, location.secret) == ("AKIA-NEW", "secret-new")
    fixed_root = ArchiveRoot.from_settings(settings.retention)  # without a watcher: the values loaded at start
    assert fixed_root.credentials() == ("AKIA-OLD", "secret-old")
