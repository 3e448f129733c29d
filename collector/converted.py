"""What a converter from another wire format (remote_write, Jaeger) hands the receivers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Converted:
    """An OTLP request body made from another wire format, its items, and what was left out and why."""

    body: bytes
    items: int
    rejected: int = 0
    problem: str = ""
