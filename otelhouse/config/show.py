"""Render the effective configuration as TOML, secrets redacted, each value with its source."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from otelhouse.config.loader import env_name
from otelhouse.config.model import SECTIONS, Settings
from otelhouse.config.scrape import ScrapeJob, render_job
from otelhouse.config.validate import redact_url

REDACTED = "***"


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(render_job(v) if isinstance(v, ScrapeJob) else json.dumps(v) for v in value) + "]"
    return json.dumps(value)


def _shown(value: Any, secret: bool) -> Any:
    if not secret:
        return value
    if isinstance(value, tuple):
        return tuple(REDACTED for _ in value)
    return REDACTED if value else ""


def render_settings(s: Settings, notes: Mapping[str, str] | None = None) -> str:
    """Return the effective settings as commented TOML that never shows a secret; `notes` add to a
    setting's comment ("section.key" -> text, e.g. when a secret file was loaded)."""
    lines = [f"# environment: {s.env} (OTELHOUSE_ENV)"]
    for section in SECTIONS:
        lines += ["", f"[{section}]"]
        obj = getattr(s, section)
        for f in dataclasses.fields(obj):
            value = _shown(getattr(obj, f.name), f.metadata.get("secret", False))
            if f.name == "url":
                value = redact_url(value)
            source = s.sources.get(f"{section}.{f.name}", "default")
            variable = env_name(section, f.name)
            # a value from the environment already names its variable
            where = source if variable in source else f"{source}; {variable}"
            if notes and f"{section}.{f.name}" in notes:
                where += f"; {notes[f'{section}.{f.name}']}"
            lines.append(f"{f.name} = {_render(value)}  # {where}")
    return "\n".join(lines) + "\n"


def render_reference() -> str:
    """Return docs/configuration.md's settings tables, generated from the settings model."""
    from otelhouse.config.model import Settings

    defaults = Settings()
    lines: list[str] = []
    for section in SECTIONS:
        lines += [
            "",
            f"## [{section}]",
            "",
            "| key | environment variable | default | meaning |",
            "| --- | --- | --- | --- |",
        ]
        for f in dataclasses.fields(getattr(defaults, section)):
            secret = " (secret)" if f.metadata.get("secret") else ""
            default = _render(f.default).replace("|", "\\|")
            lines.append(f"| `{f.name}` | `{env_name(section, f.name)}` | `{default}` | {f.metadata['doc']}{secret} |")
    return "\n".join(lines) + "\n"


def update_reference_doc(path: str = "docs/configuration.md") -> None:
    """Rewrite the generated settings tables at the end of docs/configuration.md."""
    from pathlib import Path

    doc = Path(path)
    head = doc.read_text().split("\n## [clickhouse]", 1)[0].rstrip("\n")
    doc.write_text(head + "\n" + render_reference())


if __name__ == "__main__":
    update_reference_doc()
