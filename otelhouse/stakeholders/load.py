"""Read and validate the stakeholders file; every error names the file, stakeholder, page, panel and field."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otelhouse.config.errors import ConfigError
from otelhouse.stakeholders import model as m

DEFAULT_FILE = Path(__file__).with_name("default.toml")
_SLUG = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_RELATIVE = re.compile(r"now-\d{1,4}[mhdw]")
MAX_PANELS = 40
_TOML_NAMES = {
    str: "text",
    int: "an integer",
    float: "a number",
    dict: "a table",
    list: "a list",
    bool: "true or false",
}


class StakeholdersError(ConfigError):
    """The stakeholders file is invalid; the message names the place and the field."""


@dataclass(frozen=True)
class Place:
    """Where in the file a value sits, for error messages."""

    file: str
    parts: tuple[str, ...] = ()

    def at(self, part: str) -> Place:
        return Place(self.file, (*self.parts, part))

    def fail(self, message: str) -> StakeholdersError:
        return StakeholdersError(f"{self.file}: {', '.join(self.parts) or 'top level'}: {message}")


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _table(value: Any, place: Place, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise place.fail(f"{what} must be a table, got {type(value).__name__}")
    return value


def _known(table: dict[str, Any], allowed: tuple[str, ...], place: Place) -> None:
    for key in table:
        if key not in allowed:
            raise place.fail(f"unknown field {key!r}{_did_you_mean(key, list(allowed))}")


def _field(table: dict, key: str, kind: type | tuple, place: Place, default: Any = None, required: bool = False):
    if key not in table:
        if required:
            raise place.fail(f"field {key!r} is required")
        return default
    value = table[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join(_TOML_NAMES[k] for k in kinds)
        got = _TOML_NAMES.get(type(value), type(value).__name__)
        raise place.fail(f"field {key!r} must be {names}, got {got} {str(value)[:40]!r}")
    return value


def _one_of(table: dict, key: str, allowed: tuple[str, ...], place: Place, default: str) -> str:
    value = _field(table, key, str, place, default)
    if value not in allowed:
        raise place.fail(f"field {key!r} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _slug(value: str, place: Place, what: str) -> str:
    if not _SLUG.fullmatch(value):
        raise place.fail(f"{what} {value[:40]!r} must be lowercase letters, digits, '-' or '_', starting with a letter")
    return value


def _labels(table: dict, key: str, place: Place) -> m.Labels:
    raw = _field(table, key, dict, place, {})
    out = []
    for k, v in raw.items():
        if not isinstance(v, str) or not k.strip():
            raise place.fail(f"field {key!r}: label {k!r} must have a text value, got {v!r}")
        out.append((k, v))
    return tuple(out)


def _texts(table: dict, key: str, place: Place) -> tuple[str, ...]:
    raw = _field(table, key, list, place, [])
    if not all(isinstance(v, str) and v for v in raw):
        raise place.fail(f"field {key!r} must be a list of non-empty texts")
    return tuple(raw)


_PANEL_KEYS = (
    "id", "type", "title", "metric", "kind", "aggregation", "filters", "group_by", "period", "unit",
    "format", "decimals", "higher_is", "target", "steps", "text", "limit", "width",
)  # fmt: skip
_NEEDS_METRIC = ("tile", "timeseries", "bar", "table")


def _step(raw: Any, place: Place) -> m.Step:
    table = _table(raw, place, "a funnel step")
    _known(table, ("label", "metric", "filters"), place)
    metric = _field(table, "metric", str, place, required=True)
    return m.Step(_field(table, "label", str, place, metric), metric, _labels(table, "filters", place))


def _panel(raw: Any, place: Place) -> m.Panel:
    table = _table(raw, place, "a panel")
    panel_id = _slug(_field(table, "id", str, place, required=True), place, "panel id")
    place = Place(place.file, (*place.parts[:-1], f"panel {panel_id!r}"))  # named by its id from here on
    _known(table, _PANEL_KEYS, place)
    kind_type = _one_of(table, "type", m.PANEL_TYPES, place, "")
    kind = _one_of(table, "kind", tuple(m.KINDS), place, "counter")
    aggs = m.AGGREGATIONS[kind]
    metric = _field(table, "metric", str, place, "")
    if kind_type in _NEEDS_METRIC and not metric:
        raise place.fail(f"field 'metric' is required for a {kind_type} panel")
    steps = tuple(_step(s, place.at(f"step {i + 1}")) for i, s in enumerate(_field(table, "steps", list, place, [])))
    if kind_type == "funnel" and len(steps) < 2:
        raise place.fail("field 'steps' must list at least two steps for a funnel")
    text = _field(table, "text", str, place, "")
    if kind_type == "note" and not text:
        raise place.fail("field 'text' is required for a note")
    group_by = _texts(table, "group_by", place)
    if kind_type == "tile" and group_by:
        raise place.fail("field 'group_by' does not apply to a tile (it shows one number); use filters")
    if kind_type == "table" and not group_by:
        raise place.fail("field 'group_by' is required for a table (its rows)")
    target = _field(table, "target", (int, float), place, None)
    limit = _field(table, "limit", int, place, 10)
    if not 1 <= limit <= 100:
        raise place.fail(f"field 'limit' must be between 1 and 100, got {limit}")
    decimals = _field(table, "decimals", int, place, None)
    if decimals is not None and not 0 <= decimals <= 6:
        raise place.fail(f"field 'decimals' must be between 0 and 6, got {decimals}")
    return m.Panel(
        id=panel_id,
        type=kind_type,
        title=_field(table, "title", str, place, ""),
        metric=metric,
        kind=kind,
        aggregation=_one_of(table, "aggregation", aggs, place, aggs[0]),
        filters=_labels(table, "filters", place),
        group_by=group_by,
        period=_one_of(table, "period", tuple(m.PERIODS), place, "auto"),
        unit=_field(table, "unit", str, place, ""),
        format=_one_of(table, "format", m.FORMATS, place, "number"),
        decimals=decimals,
        higher_is=_one_of(table, "higher_is", ("good", "bad"), place, "good"),
        target=float(target) if target is not None else None,
        steps=steps,
        text=text,
        limit=limit,
        width=_one_of(table, "width", m.WIDTHS, place, "full" if kind_type in ("table", "note") else "half"),
    )


def _page(page_id: str, raw: Any, place: Place) -> m.Page:
    place = place.at(f"page {page_id!r}")
    _slug(page_id, place, "page id")
    table = _table(raw, place, "a page")
    _known(table, ("title", "description", "default_range", "panels"), place)
    default_range = _field(table, "default_range", str, place, "now-7d")
    if not _RELATIVE.fullmatch(default_range):
        raise place.fail(f"field 'default_range' must look like now-30d (m, h, d or w), got {default_range!r}")
    raw_panels = _field(table, "panels", list, place, required=True)
    if not 1 <= len(raw_panels) <= MAX_PANELS:
        raise place.fail(f"field 'panels' must hold between 1 and {MAX_PANELS} panels, got {len(raw_panels)}")
    panels = tuple(_panel(p, place.at(f"panel #{i + 1}")) for i, p in enumerate(raw_panels))
    seen: set[str] = set()
    for p in panels:
        if p.id in seen:
            raise place.at(f"panel {p.id!r}").fail("field 'id' is used by another panel of this page")
        seen.add(p.id)
    return m.Page(
        page_id,
        _field(table, "title", str, place, page_id),
        _field(table, "description", str, place, ""),
        default_range,
        panels,
    )


def _stakeholder(name: str, raw: Any, place: Place) -> m.Stakeholder:
    place = place.at(f"stakeholder {name!r}")
    _slug(name, place, "stakeholder name")
    if name in m.RESERVED_NAMES:
        raise place.fail(f"{name!r} is a role of its own; choose another stakeholder name")
    table = _table(raw, place, "a stakeholder")
    _known(table, ("title", "description", "pages"), place)
    pages = _table(_field(table, "pages", dict, place, required=True), place, "field 'pages'")
    if not pages:
        raise place.fail("field 'pages' must hold at least one page")
    return m.Stakeholder(
        name,
        _field(table, "title", str, place, name),
        _field(table, "description", str, place, ""),
        tuple(_page(pid, body, place) for pid, body in pages.items()),
    )


def _classification(raw: Any, place: Place) -> m.Classification:
    place = place.at("classification")
    table = _table(raw, place, "classification")
    _known(table, ("business", "technical", "attribute"), place)
    attribute = _field(table, "attribute", str, place, "otelhouse.category=business")
    pair = None
    if attribute:
        key, sep, value = attribute.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise place.fail(f"field 'attribute' must look like key=value, got {attribute!r}")
        pair = (key.strip(), value.strip())
    return m.Classification(_texts(table, "business", place), _texts(table, "technical", place), pair)


def parse_stakeholders(data: dict[str, Any], source: str) -> m.Stakeholders:
    """Validate parsed TOML into Stakeholders, raising StakeholdersError at the first problem."""
    place = Place(source)
    _known(data, ("classification", "stakeholders"), place)
    raw = _table(_field(data, "stakeholders", dict, place, required=True), place, "field 'stakeholders'")
    if not raw:
        raise place.fail("field 'stakeholders' must hold at least one stakeholder")
    return m.Stakeholders(
        source,
        tuple(_stakeholder(name, body, place) for name, body in raw.items()),
        _classification(data.get("classification", {}), place),
    )


def load_stakeholders(path: str | Path = "") -> m.Stakeholders:
    """Read the stakeholders file (the built-in demo-shop file when `path` is empty) and validate it."""
    file = Path(path) if path else DEFAULT_FILE
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StakeholdersError(f"{file}: cannot read the stakeholders file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise StakeholdersError(f"{file}: the stakeholders file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise StakeholdersError(f"{file}: not valid TOML: {exc}") from None
    return parse_stakeholders(data, str(file))
