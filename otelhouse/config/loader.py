"""Build Settings from layers, later wins: defaults < otelhouse.toml (+ its [ENV] sections)
< OTELHOUSE_* environment variables < files named by OTELHOUSE_*_FILE variables."""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otelhouse.config import coerce
from otelhouse.config.errors import ConfigError
from otelhouse.config.model import ENVIRONMENTS, SECTIONS, Settings, section_fields, under_data_dir
from otelhouse.config.validate import validate

PREFIX = "OTELHOUSE_"
# Variables that choose how to load rather than what to set.
CONTROL_VARIABLES = {"OTELHOUSE_ENV", "OTELHOUSE_CONFIG"}
DEFAULT_FILE = "otelhouse.toml"
SECRET_FILE = "secret file "  # the source of a value read from a file named by OTELHOUSE_*_FILE
# a secret file holds a password or a few keys; anything larger is a wrong path (a log, a device), not read whole
MAX_SECRET_FILE_BYTES = 64 << 10


def env_name(section: str, key: str) -> str:
    """Return the environment variable for `[section] key`."""
    return f"{PREFIX}{section.upper()}_{key.upper()}"


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _config_path(environ: Mapping[str, str]) -> Path | None:
    named = environ.get("OTELHOUSE_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"OTELHOUSE_CONFIG names {named}, which is not a readable file")
        return path
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _file_layer(table: dict[str, Any], where: str, source: str) -> dict[tuple[str, str], tuple[Any, str]]:
    """Check one table of sections from the file and return its values with their source."""
    values: dict[tuple[str, str], tuple[Any, str]] = {}
    for section, body in table.items():
        if section not in SECTIONS:
            raise ConfigError(
                f"{where}: unknown section [{section}]{_did_you_mean(section, [*SECTIONS, *ENVIRONMENTS])}"
            )
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: [{section}] must be a table of settings")
        fields = section_fields(section)
        for key, raw in body.items():
            if key not in fields:
                raise ConfigError(f"{where}: unknown key '{key}' in [{section}]{_did_you_mean(key, list(fields))}")
            parse = fields[key].metadata.get("parse")
            label = f"{where}: [{section}] {key}"
            value = parse(raw, label) if parse else coerce.from_toml(raw, fields[key].default, label)
            values[(section, key)] = (value, source)
    return values


def _file_layers(path: Path, env: str) -> dict[tuple[str, str], tuple[Any, str]]:
    data = _read_toml(path)
    base = {k: v for k, v in data.items() if k not in ENVIRONMENTS}
    values = _file_layer(base, str(path), f"config {path}")
    for name in ENVIRONMENTS:
        if name in data:
            if not isinstance(data[name], dict):
                raise ConfigError(f"{path}: [{name}] must hold sections such as [{name}.clickhouse]")
            layer = _file_layer(data[name], f"{path} [{name}]", f"config {path} [{name}]")
            if name == env:
                values.update(layer)
    return values


def _variable_target(name: str) -> tuple[str, str, bool] | None:
    """Map OTELHOUSE_SECTION_KEY[_FILE] to (section, key, is_file), or None if it names nothing."""
    rest = name[len(PREFIX) :].lower()
    section, _, key = rest.partition("_")
    if section not in SECTIONS:
        return None
    fields = section_fields(section)
    if key in fields:
        return section, key, False
    if key.endswith("_file") and key[: -len("_file")] in fields:
        return section, key[: -len("_file")], True
    return None


def _known_variables() -> list[str]:
    names = []
    for section in SECTIONS:
        for key in section_fields(section):
            names += [env_name(section, key), env_name(section, key) + "_FILE"]
    return names


def parse_text(section: str, key: str, text: str, where: str) -> Any:
    """Parse an environment variable's or secret file's text as `[section] key`; raise ConfigError naming `where`."""
    field = section_fields(section)[key]
    # a structured setting (scrape jobs) has its own parser; the rest are typed by their default
    parse = field.metadata.get("parse")
    return parse(text, where) if parse else coerce.from_text(text, field.default, where)


def read_secret_file(path: str) -> str:
    """Return the text of a file named by an OTELHOUSE_*_FILE variable; raise ConfigError saying why not."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise ConfigError(f"{path} cannot be read: it is larger than {MAX_SECRET_FILE_BYTES >> 10} KiB")
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise ConfigError(f"{path} cannot be read: it is not UTF-8 text") from None


def _env_layers(environ: Mapping[str, str]) -> dict[tuple[str, str], tuple[Any, str]]:
    plain: dict[tuple[str, str], tuple[Any, str]] = {}
    files: dict[tuple[str, str], tuple[Any, str]] = {}
    for name, text in sorted(environ.items()):
        if not name.startswith(PREFIX) or name in CONTROL_VARIABLES:
            continue
        target = _variable_target(name)
        if target is None:
            raise ConfigError(f"unknown environment variable {name}{_did_you_mean(name, _known_variables())}")
        section, key, is_file = target
        if is_file:
            try:
                content = read_secret_file(text)
            except ConfigError as exc:
                raise ConfigError(f"{name}: {exc}") from None
            files[(section, key)] = (parse_text(section, key, content, f"{name} ({text})"), SECRET_FILE + text)
        else:
            plain[(section, key)] = (parse_text(section, key, text, name), f"env {name}")
    return {**plain, **files}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Load, layer and validate settings; raise ConfigError with a message naming the culprit."""
    environ = os.environ if environ is None else environ
    env = environ.get("OTELHOUSE_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"OTELHOUSE_ENV is {env!r}; expected one of {', '.join(ENVIRONMENTS)}")
    values: dict[tuple[str, str], tuple[Any, str]] = {}
    path = _config_path(environ)
    if path is not None:
        values.update(_file_layers(path, env))
    values.update(_env_layers(environ))
    if ("data", "dir") in values:
        data_dir, source = values[("data", "dir")]
        for key, value in under_data_dir(data_dir).items():
            values.setdefault(key, (value, f"under data.dir ({source})"))

    sources: dict[str, str] = {}
    sections: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        overrides = {}
        for key in section_fields(section):
            value, source = values.get((section, key), (None, "default"))
            sources[f"{section}.{key}"] = source
            if source != "default":
                overrides[key] = value
        sections[section] = dataclasses.replace(cls(), **overrides)
    settings = Settings(env=env, sources=sources, **sections)
    problems = validate(settings)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return settings
