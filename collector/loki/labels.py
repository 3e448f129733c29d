"""Loki stream labels: parse the `{name="value", ...}` text and pick the service name by Loki 3's rule."""

from __future__ import annotations

import re

from collector.logwire import Attribute
from collector.otlp.model import InvalidRequest

# Loki 3's discover_service_name default: the first of these labels present names the service.
SERVICE_LABELS = (
    "service_name",
    "service",
    "app",
    "application",
    "name",
    "app_kubernetes_io_name",
    "container",
    "container_name",
    "component",
    "workload",
    "job",
)
UNKNOWN_SERVICE = "unknown_service"  # Loki's name for a stream none of those labels name
_PAIR = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*([,}])')
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(.)", re.S)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), text) if "\\" in text else text


def parse_labels(text: str) -> dict[str, str]:
    """Parse a Prometheus-style label set; raise InvalidRequest saying where it goes wrong."""
    body = text.strip()
    if not body.startswith("{"):
        raise InvalidRequest(f"labels {_show(text)} must start with '{{'")
    labels: dict[str, str] = {}
    pos = 1
    if body[1:].strip() == "}":
        return labels
    while True:
        m = _PAIR.match(body, pos)
        if m is None:
            raise InvalidRequest(f'labels {_show(text)}: expected name="value" at character {pos + 1}')
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
        if m.group(3) == "}":
            if body[pos:].strip():
                raise InvalidRequest(f"labels {_show(text)}: unexpected text after '}}' at character {pos + 1}")
            return labels


def _show(text: str) -> str:
    return repr(text if len(text) <= 120 else text[:120] + "...")


def stream_resource(labels: dict[str, str]) -> tuple[Attribute, ...]:
    """The resource of a stream: every label as an attribute, and service.name by Loki 3's rule."""
    service = next((labels[k] for k in SERVICE_LABELS if labels.get(k)), UNKNOWN_SERVICE)
    return (*((k, v) for k, v in labels.items() if k != "service_name"), ("service.name", service))
