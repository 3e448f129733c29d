"""Turn raw values from TOML or the environment into a setting's type, or say why not."""

from __future__ import annotations

from typing import Any

from otelhouse.config.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def type_name(default: Any) -> str:
    """Name the expected type of a setting by its default value."""
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, int):
        return "integer"
    if isinstance(default, float):
        return "number"
    if isinstance(default, tuple):
        return "list of strings"
    return "string"


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def from_toml(value: Any, default: Any, where: str) -> Any:
    """Check a TOML value against the setting's type; raise ConfigError naming `where`."""
    expected = type_name(default)
    ok = {
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "list of strings": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "string": isinstance(value, str),
    }[expected]
    if not ok:
        raise ConfigError(f"{where}: expected {_a(expected)}, got {_describe(value)}")
    if expected == "number":
        return float(value)
    if expected == "list of strings":
        return tuple(value)
    return value


def from_text(text: str, default: Any, where: str) -> Any:
    """Parse an environment variable or secret file's text as the setting's type."""
    expected = type_name(default)
    stripped = text.strip()
    if expected == "boolean":
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
        raise ConfigError(f"{where}: expected a boolean (true/false), got {stripped!r}")
    if expected in ("integer", "number"):
        try:
            return int(stripped) if expected == "integer" else float(stripped)
        except ValueError:
            raise ConfigError(f"{where}: expected {_a(expected)}, got {stripped!r}") from None
    if expected == "list of strings":
        # comma- or newline-separated, so a secret file may hold one key per line
        parts = stripped.replace("\n", ",").split(",")
        return tuple(p.strip() for p in parts if p.strip())
    return stripped
