"""Secrets read through OTELHOUSE_*_FILE, re-read while the server runs (docs/secrets.md).

Vault Agent renames a new file over the old, Kubernetes swaps the `..data` symlink of a mounted secret,
an operator may rewrite the file in place: each poll resolves the path again and compares the file's
identity (inode, modification time, size). A changed file is parsed as at start-up and validated; a
good value replaces the old one in one reference swap, a bad one keeps the old value and is logged once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from otelhouse.config import ConfigError, Settings
from otelhouse.config.loader import SECRET_FILE, env_name, parse_text, read_secret_file
from otelhouse.config.model import SECTIONS
from otelhouse.config.validate import validate

log = logging.getLogger(__name__)
POLL_S = 1.0
# a file unchanged for this long when read cannot change again within the same modification-time tick
SETTLED_S = 2.0
Stamp = tuple[str, int, int, int]  # resolved path, inode, mtime_ns, size
Lookup = Callable[[str], Any]  # "section.key" -> the value to use now
WATCHER = "watcher"  # the errors label of a failed poll (not one file's)


@dataclass(frozen=True)
class Loaded:
    """One secret as last loaded: its value, the file it came from and when."""

    key: str  # "collector.api_keys"
    path: str  # as named by the OTELHOUSE_*_FILE variable
    value: Any
    loaded_at: float  # unix seconds
    stamp: Stamp | None
    settled: bool  # the file was older than SETTLED_S when read: an equal stamp means equal content


def setting_value(settings: Settings, key: str) -> Any:
    """Return the value of "section.key" in `settings`."""
    section, _, name = key.partition(".")
    return getattr(getattr(settings, section), name)


def fixed(settings: Settings) -> Lookup:
    """A lookup that always answers with the values loaded at start (no file is watched)."""
    return lambda key: setting_value(settings, key)


def file_secrets(settings: Settings) -> dict[str, str]:
    """Return "section.key" -> file path for each secret setting that was read from an OTELHOUSE_*_FILE."""
    found: dict[str, str] = {}
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            source = settings.sources.get(f"{section}.{f.name}", "")
            if f.metadata.get("secret") and source.startswith(SECRET_FILE):
                found[f"{section}.{f.name}"] = source[len(SECRET_FILE) :]
    return found


def file_stamp(path: str) -> Stamp:
    """Return the identity of the file `path` leads to now (symlinks resolved again); raise OSError."""
    real = os.path.realpath(path)
    st = os.stat(real)
    return (real, st.st_ino, st.st_mtime_ns, st.st_size)


def parse_secret(settings: Settings, key: str, text: str, where: str) -> Any:
    """Parse a secret file's text as the loader does and check it; raise ConfigError saying why not."""
    section, _, name = key.partition(".")
    value = parse_text(section, name, text, where)
    if not value:
        raise ConfigError(
            f"{where} is empty; an empty secret file is taken for one being written. To turn "
            f"{key} off, unset {env_name(section, name)}_FILE and restart"
        )
    changed = dataclasses.replace(getattr(settings, section), **{name: value})
    problems = validate(dataclasses.replace(settings, **{section: changed}))
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))
    return value


def _iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class SecretFiles:
    """The current value of every secret setting; those read from files are re-read when the files change."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        now = clock()
        # the loader read these files a moment ago; unsettled, so the first poll compares them once more
        self._loaded: Mapping[str, Loaded] = {
            key: Loaded(key, path, setting_value(settings, key), now, self._stamp_or_none(path), False)
            for key, path in file_secrets(settings).items()
        }
        self._failed: dict[str, tuple[Stamp | None, str]] = {}  # the last refused file and why, logged once
        self.errors: dict[str, int] = dict.fromkeys(self._loaded, 0)
        self.on_change: list[Callable[[str, Any], None]] = []

    @staticmethod
    def _stamp_or_none(path: str) -> Stamp | None:
        try:
            return file_stamp(path)
        except OSError:
            return None

    def current(self, key: str) -> Any:
        """Return the value of "section.key" to use now (the Lookup consumers are given)."""
        entry = self._loaded.get(key)
        return entry.value if entry is not None else setting_value(self.settings, key)

    def loaded(self) -> Mapping[str, Loaded]:
        """Return the secrets read from files, as last loaded."""
        return self._loaded

    def describe(self) -> dict[str, str]:
        """Return "section.key" -> when it was last loaded (and its file last changed), for `config show`."""
        return {
            k: f"loaded {_iso(e.loaded_at)}" + (f", file changed {_iso(e.stamp[2] / 1e9)}" if e.stamp else "")
            for k, e in self._loaded.items()
        }

    def poll(self, force: bool = False) -> list[str]:
        """Re-read the files that changed (all of them when `force`, as on SIGHUP); return the keys swapped."""
        swapped = []
        for key, entry in self._loaded.items():
            new = self._reread(entry, force)
            if new is not None and new is not entry:
                self._loaded = {**self._loaded, key: new}  # one reference swap: readers see old or new
                if new.value != entry.value:
                    swapped.append(key)
                    log.info("secret reloaded", extra={"setting": key, "file": entry.path})
                    for callback in self.on_change:
                        callback(key, new.value)
        return swapped

    def _reread(self, entry: Loaded, force: bool) -> Loaded | None:
        """Return the entry after looking at its file: itself, a new one, or None when refused or mid-write."""
        try:
            stamp = file_stamp(entry.path)
            if stamp == entry.stamp and entry.settled and not force:
                return entry
            if not force and self._failed.get(entry.key, (None, ""))[0] == stamp:
                return None  # still the file refused last time
            text = read_secret_file(stamp[0])  # bounded in size; not UTF-8 is refused like unreadable
            if file_stamp(entry.path) != stamp:
                return None  # changed while read: the next poll reads it whole
            value = parse_secret(
                self.settings, entry.key, text, f"{env_name(*entry.key.split('.'))}_FILE ({entry.path})"
            )
        except (OSError, ConfigError) as exc:
            reason = str(exc) if isinstance(exc, ConfigError) else f"{entry.path} cannot be read: {exc.strerror}"
            self._refuse(entry.key, self._stamp_or_none(entry.path), reason)
            return None
        self._failed.pop(entry.key, None)
        now = self._clock()
        settled = now - stamp[2] / 1e9 > SETTLED_S
        loaded_at = now if force or value != entry.value else entry.loaded_at
        return Loaded(entry.key, entry.path, value, loaded_at, stamp, settled)

    def _refuse(self, key: str, stamp: Stamp | None, reason: str) -> None:
        if self._failed.get(key) == (stamp, reason):
            return
        self._failed[key] = (stamp, reason)
        self.errors[key] += 1
        log.error(f"secret not reloaded, keeping the previous value of {key}: {reason}", extra={"setting": key})

    async def watch(self, interval_s: float = POLL_S) -> None:
        """Poll the files until cancelled; an unexpected failure is logged, counted and retried."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.poll()
            except Exception:
                log.exception("secret watcher failed; retrying")
                self.errors[WATCHER] = self.errors.get(WATCHER, 0) + 1


class SecretsCollector(Collector):
    """/metrics: when each file secret was last loaded, and how often a changed file was refused."""

    def __init__(self, secrets: SecretFiles) -> None:
        self.secrets = secrets

    def collect(self) -> Iterator[Metric]:
        loaded = GaugeMetricFamily(
            "otelhouse_secret_loaded_timestamp_seconds",
            "When a secret read from an OTELHOUSE_*_FILE was last loaded (unix seconds)",
            labels=["setting"],
        )
        errors = CounterMetricFamily(
            "otelhouse_secret_reload_errors",
            "Changed secret files refused (unreadable, empty or invalid); the previous value stays in use",
            labels=["setting"],
        )
        for key, entry in self.secrets.loaded().items():
            loaded.add_metric([key], entry.loaded_at)
        for key, count in self.secrets.errors.items():
            errors.add_metric([key], count)
        yield loaded
        yield errors
