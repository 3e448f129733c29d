"""Stakeholders and their KPI pages, and which metrics are business metrics: one TOML file, validated."""

from otelhouse.stakeholders.classify import BUSINESS, TECHNICAL, classify
from otelhouse.stakeholders.load import DEFAULT_FILE, StakeholdersError, load_stakeholders, parse_stakeholders
from otelhouse.stakeholders.model import Classification, Page, Panel, Stakeholder, Stakeholders, Step

__all__ = [
    "BUSINESS",
    "DEFAULT_FILE",
    "TECHNICAL",
    "Classification",
    "Page",
    "Panel",
    "Stakeholder",
    "Stakeholders",
    "StakeholdersError",
    "Step",
    "classify",
    "load_stakeholders",
    "parse_stakeholders",
]
