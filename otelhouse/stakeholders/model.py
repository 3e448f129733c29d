"""Records of the stakeholders file: stakeholders own pages, pages hold declarative panels (never SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field

PANEL_TYPES = ("tile", "timeseries", "bar", "table", "funnel", "note")
FORMATS = ("count", "number", "currency", "percent")
# metric kind in the file -> ClickHouse metric table kind, and the aggregations each allows (first: default)
KINDS = {"counter": "sum", "gauge": "gauge"}
AGGREGATIONS = {"counter": ("sum", "rate"), "gauge": ("last", "avg", "min", "max")}
PERIODS = {"auto": 0, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
WIDTHS = ("third", "half", "full")
RESERVED_NAMES = ("admin", "engineer")  # roles of their own, so never a stakeholder's name

Labels = tuple[tuple[str, str], ...]  # label filters: (key, value) pairs that must all be equal


@dataclass(frozen=True)
class Step:
    """One step of a funnel: the total of a counter over the range."""

    label: str
    metric: str
    filters: Labels = ()


@dataclass(frozen=True)
class Panel:
    """One panel of a KPI page; which fields matter depends on its type."""

    id: str
    type: str
    title: str = ""
    metric: str = ""
    kind: str = "counter"
    aggregation: str = "sum"
    filters: Labels = ()
    group_by: tuple[str, ...] = ()
    period: str = "auto"
    unit: str = ""
    format: str = "number"
    decimals: int | None = None
    higher_is: str = "good"  # "good" or "bad": the colour of a rise
    target: float | None = None
    steps: tuple[Step, ...] = ()
    text: str = ""
    limit: int = 10
    width: str = "half"

    @property
    def has_data(self) -> bool:
        return self.type != "note"

    def metrics(self) -> tuple[str, ...]:
        """Return every metric the panel reads."""
        return tuple(s.metric for s in self.steps) if self.type == "funnel" else ((self.metric,) if self.metric else ())


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    description: str = ""
    default_range: str = "now-7d"
    panels: tuple[Panel, ...] = ()

    def panel(self, panel_id: str) -> Panel | None:
        return next((p for p in self.panels if p.id == panel_id), None)


@dataclass(frozen=True)
class Stakeholder:
    id: str
    title: str
    description: str = ""
    pages: tuple[Page, ...] = ()

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)


@dataclass(frozen=True)
class Classification:
    """Which metrics are business metrics: name patterns, or an attribute the service sets; the rest technical."""

    business: tuple[str, ...] = ()  # fnmatch patterns
    technical: tuple[str, ...] = ()  # patterns that stay technical even when a business pattern matches
    attribute: tuple[str, str] | None = ("otelhouse.category", "business")  # resource or point attribute


@dataclass(frozen=True)
class Stakeholders:
    """The whole file: where it came from, the stakeholders in file order, the classification rules."""

    source: str
    stakeholders: tuple[Stakeholder, ...] = ()
    classification: Classification = field(default_factory=Classification)

    @property
    def names(self) -> frozenset[str]:
        """Return the stakeholder names (each is also a role)."""
        return frozenset(s.id for s in self.stakeholders)

    def stakeholder(self, name: str) -> Stakeholder | None:
        return next((s for s in self.stakeholders if s.id == name), None)

    def metrics(self) -> dict[str, list[str]]:
        """Return every metric the pages read -> the places ('stakeholder/page/panel') that read it."""
        out: dict[str, list[str]] = {}
        for s in self.stakeholders:
            for page in s.pages:
                for panel in page.panels:
                    for m in panel.metrics():
                        out.setdefault(m, []).append(f"{s.id}/{page.id}/{panel.id}")
        return out
