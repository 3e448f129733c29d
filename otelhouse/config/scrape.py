"""Prometheus scrape jobs: `[[prometheus.scrape_jobs]]` tables in the config file, checked key by key."""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from otelhouse.config.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ScrapeJob:
    """One scrape job, as Prometheus' scrape_config names its keys (secrets read from files)."""

    name: str
    targets: tuple[str, ...]
    interval_s: float = 15.0  # how often each target is scraped
    timeout_s: float = 10.0  # a scrape slower than this fails (up = 0); at most interval_s
    metrics_path: str = "/metrics"
    scheme: str = "http"  # http or https
    basic_auth_username: str = ""
    basic_auth_password_file: str = ""  # file holding the basic-auth password
    bearer_token_file: str = ""  # file holding a bearer token
    labels: dict[str, str] = field(default_factory=dict)  # added to every series of the job's targets
    honor_labels: bool = False  # true: a scraped label wins over job/instance/labels of the same name
    honor_timestamps: bool = True  # false: every sample gets the scrape's time


_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "targets": list,
    "interval_s": (int, float),
    "timeout_s": (int, float),
    "metrics_path": str,
    "scheme": str,
    "basic_auth_username": str,
    "basic_auth_password_file": str,
    "bearer_token_file": str,
    "labels": dict,
    "honor_labels": bool,
    "honor_timestamps": bool,
}


def _check(job: dict[str, Any], where: str) -> ScrapeJob:
    for key, value in job.items():
        if key not in _TYPES:
            close = difflib.get_close_matches(key, list(_TYPES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key '{key}'{hint}")
        kind = _TYPES[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ConfigError(f"{where}: {key} has the wrong type ({type(value).__name__} {value!r})")
    for key in ("name", "targets"):
        if key not in job:
            raise ConfigError(f"{where}: {key} is required")
    if not _NAME.match(job["name"]):
        raise ConfigError(f"{where}: name must be letters, digits, '_', '.' or '-', got {job['name']!r}")
    if not job["targets"] or not all(isinstance(t, str) and t for t in job["targets"]):
        raise ConfigError(f"{where}: targets must be a non-empty list of host:port strings")
    labels = job.get("labels", {})
    for k, v in labels.items():
        if not _LABEL.match(k) or not isinstance(v, str):
            raise ConfigError(f"{where}: labels.{k} must be a label name with a string value")
    values = {**job, "targets": tuple(job["targets"]), "labels": dict(labels)}
    for key in ("interval_s", "timeout_s"):
        if key in values:
            values[key] = float(values[key])
    parsed = ScrapeJob(**values)
    if parsed.interval_s <= 0 or parsed.timeout_s <= 0:
        raise ConfigError(f"{where}: interval_s and timeout_s must be more than 0")
    if parsed.timeout_s > parsed.interval_s:
        raise ConfigError(f"{where}: timeout_s ({parsed.timeout_s}) must not exceed interval_s ({parsed.interval_s})")
    if parsed.scheme not in ("http", "https"):
        raise ConfigError(f"{where}: scheme must be http or https, got {parsed.scheme!r}")
    if not parsed.metrics_path.startswith("/"):
        raise ConfigError(f"{where}: metrics_path must start with '/', got {parsed.metrics_path!r}")
    if parsed.basic_auth_password_file and parsed.bearer_token_file:
        raise ConfigError(f"{where}: set basic_auth_password_file or bearer_token_file, not both")
    return parsed


def parse_jobs(raw: Any, where: str) -> tuple[ScrapeJob, ...]:
    """Check a list of job tables (from TOML, or JSON text in the environment); raise ConfigError."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: expected a JSON list of scrape jobs: {exc}") from None
    if not isinstance(raw, list) or not all(isinstance(j, dict) for j in raw):
        raise ConfigError(f"{where}: expected a list of tables ([[prometheus.scrape_jobs]])")
    jobs = tuple(_check(job, f"{where}[{i}]") for i, job in enumerate(raw))
    names = [j.name for j in jobs]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{where}: job name {name!r} is used twice")
    return jobs


def render_job(job: ScrapeJob) -> str:
    """A job as a TOML inline table (for `otelhouse config show`)."""
    parts = []
    for f in dataclasses.fields(job):
        value = getattr(job, f.name)
        if isinstance(value, dict):
            text = "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + "}"
        else:
            text = json.dumps(list(value) if isinstance(value, tuple) else value)
        parts.append(f"{f.name} = {text}")
    return "{" + ", ".join(parts) + "}"
