"""Technical or business: a pure function of a metric's name and whether it carries the business attribute."""

from __future__ import annotations

from fnmatch import fnmatchcase

from otelhouse.stakeholders.model import Classification

BUSINESS, TECHNICAL = "business", "technical"


def classify(rules: Classification, name: str, has_attribute: bool = False) -> str:
    """Return 'business' or 'technical' for a metric; a technical pattern wins over everything else."""
    if any(fnmatchcase(name, p) for p in rules.technical):
        return TECHNICAL
    if has_attribute or any(fnmatchcase(name, p) for p in rules.business):
        return BUSINESS
    return TECHNICAL
