"""Pieces of a Grafana dashboard: datasource references, targets, panels, variables, and the layout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 41  # Grafana 12.x; provisioning loads it as is (the compose file pins grafana/grafana:12.2)
CLICKHOUSE = {"type": "grafana-clickhouse-datasource", "uid": "otelhouse-clickhouse"}
PROMETHEUS = {"type": "prometheus", "uid": "otelhouse-prometheus"}
# the ClickHouse plugin's query formats (src/types/queryBuilder.ts: Format)
TIMESERIES, TABLE, LOGS, TRACES = 0, 1, 2, 3
QUERY_TYPES = {TIMESERIES: "timeseries", TABLE: "table", LOGS: "logs", TRACES: "traces"}
GRID_WIDTH = 24

# Filters shared by the ClickHouse queries: the plugin turns $__conditionalAll(cond, $var) into 1=1 when the
# variable is "All", so an "All" selection adds no condition to the query at all.
# semantic conventions 1.27 renamed deployment.environment to deployment.environment.name; either counts
ENV_VALUE = (
    "if(mapContains(ResourceAttributes, 'deployment.environment.name'), "
    "ResourceAttributes['deployment.environment.name'], ResourceAttributes['deployment.environment'])"
)
ENVIRONMENT = f"$__conditionalAll({ENV_VALUE} IN (${{environment}}), $environment)"
SERVICE = "$__conditionalAll(ServiceName IN (${service}), $service)"
SCOPE = f"{ENVIRONMENT} AND {SERVICE}"  # the environments and services chosen


def sql_target(sql: str, fmt: int = TIMESERIES, ref: str = "A") -> dict[str, Any]:
    """Return a ClickHouse SQL-editor target in the given format."""
    return {
        "refId": ref,
        "datasource": CLICKHOUSE,
        "editorType": "sql",
        "format": fmt,
        "queryType": QUERY_TYPES[fmt],
        "rawSql": sql.strip(),
    }


def prom_target(expr: str, legend: str, ref: str = "A") -> dict[str, Any]:
    """Return a Prometheus range-query target."""
    return {"refId": ref, "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend, "range": True}


def link(title: str, url: str) -> dict[str, Any]:
    """Return a data link (opens in the same tab)."""
    return {"title": title, "url": url}


def column_links(column: str, *links: dict[str, Any]) -> dict[str, Any]:
    """Return a field override giving a table column's cells data links."""
    return {"matcher": {"id": "byName", "options": column}, "properties": [{"id": "links", "value": list(links)}]}


def column_unit(column: str, unit: str) -> dict[str, Any]:
    """Return a field override setting one column's unit."""
    return {"matcher": {"id": "byName", "options": column}, "properties": [{"id": "unit", "value": unit}]}


@dataclass
class Panel:
    """One panel: its kind, title, size and queries; `columns` lists what its queries must return."""

    kind: str
    title: str
    targets: list[dict[str, Any]]
    width: int = 12
    height: int = 8
    description: str = ""
    unit: str = ""
    overrides: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)

    def render(self, panel_id: int, x: int, y: int) -> dict[str, Any]:
        defaults: dict[str, Any] = {"custom": self.custom} if self.custom else {}
        if self.unit:
            defaults["unit"] = self.unit
        out: dict[str, Any] = {
            "id": panel_id,
            "type": self.kind,
            "title": self.title,
            "description": self.description,
            "datasource": self.targets[0]["datasource"],
            "gridPos": {"h": self.height, "w": self.width, "x": x, "y": y},
            "targets": self.targets,
            "fieldConfig": {"defaults": defaults, "overrides": self.overrides},
            "options": self.options,
        }
        return out


def row(title: str) -> dict[str, Any]:
    """Return a row header (rendered full width by `layout`)."""
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def layout(items: list[Panel | dict[str, Any]]) -> list[dict[str, Any]]:
    """Number the panels from 1 and place them left to right, wrapping at the grid's width."""
    out: list[dict[str, Any]] = []
    x = y = line_height = 0
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):  # a row: starts a new line of its own
            y += line_height
            out.append({**item, "id": number, "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y}})
            x, y, line_height = 0, y + 1, 0
            continue
        if x + item.width > GRID_WIDTH:
            x, y, line_height = 0, y + line_height, 0
        out.append(item.render(number, x, y))
        x += item.width
        line_height = max(line_height, item.height)
    return out


def sql_variable(name: str, label: str, sql: str, multi: bool = True) -> dict[str, Any]:
    """Return a query variable filled by ClickHouse SQL (first column: the values), with "All" when multi."""
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": CLICKHOUSE,
        "query": {"editorType": "sql", "format": TABLE, "rawSql": sql.strip()},
        "definition": sql.strip(),
        "refresh": 2,  # on time range change
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        "current": {"text": ["All"], "value": ["$__all"]} if multi else {},
        "options": [],
        "hide": 0,
    }


def prom_variable(name: str, label: str, metric: str, label_name: str) -> dict[str, Any]:
    """Return a query variable listing one label's values of a Prometheus metric, with "All"."""
    query = f"label_values({metric}, {label_name})"
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": PROMETHEUS,
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "current": {"text": ["All"], "value": ["$__all"]},
        "options": [],
        "hide": 0,
    }


def text_value(name: str) -> str:
    """Return SQL giving a text variable's value as a string that no typed text can end.

    Grafana's sqlstring format only doubles quotes, and ClickHouse also reads backslash escapes, so a value with
    a backslash could close the string. Percent-encoded, the value is letters, digits and -_.~% only.
    """
    return f"decodeURLComponent('${{{name}:percentencode}}')"


def textbox(name: str, label: str, description: str) -> dict[str, Any]:
    """Return a free-text variable, empty by default."""
    return {
        "type": "textbox",
        "name": name,
        "label": label,
        "description": description,
        "query": "",
        "current": {"text": "", "value": ""},
        "options": [],
        "hide": 0,
    }


def environment_variable(table: str, time_column: str = "Timestamp") -> dict[str, Any]:
    """Return the `environment` variable: the resources' deployment environments seen in the range."""
    return sql_variable(
        "environment",
        "Environment",
        f"""
SELECT DISTINCT {ENV_VALUE} AS environment
FROM {table}
WHERE $__timeFilter({time_column}) AND environment != ''
ORDER BY environment
""",
    )


def service_variable(table: str, time_column: str = "Timestamp") -> dict[str, Any]:
    """Return the `service` variable: services seen in the range, within the chosen environments."""
    return sql_variable(
        "service",
        "Service",
        f"""
SELECT DISTINCT ServiceName
FROM {table}
WHERE $__timeFilter({time_column}) AND {ENVIRONMENT}
ORDER BY ServiceName
""",
    )


def scope_variables(table: str) -> list[dict[str, Any]]:
    """Return the `environment` and `service` variables over a table with a Timestamp column."""
    return [environment_variable(table), service_variable(table)]


def dashboard(
    uid: str,
    title: str,
    description: str,
    variables: list[dict[str, Any]],
    items: list[Panel | dict[str, Any]],
    time_from: str = "now-1h",
) -> dict[str, Any]:
    """Return a whole dashboard, linked to the other otelhouse dashboards by tag."""
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["otelhouse"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "timezone": "browser",
        "refresh": "1m",
        "time": {"from": time_from, "to": "now"},
        "links": [
            {
                "type": "dashboards",
                "tags": ["otelhouse"],
                "asDropdown": True,
                "title": "otelhouse",
                "includeVars": True,
                "keepTime": True,
            }
        ],
        "templating": {"list": variables},
        "annotations": {"list": []},
        "panels": layout(items),
    }


def table(title: str, sql: str, description: str = "", overrides: list | None = None, **size: int) -> Panel:
    """Return a table panel of one ClickHouse query (full width unless `width` says otherwise)."""
    size = {"width": 24, "height": 10, **size}
    return Panel("table", title, [sql_target(sql, TABLE)], description=description, overrides=overrides or [], **size)


def stat(title: str, sql: str, unit: str, description: str) -> Panel:
    """Return a quarter-width single-number panel of one ClickHouse query."""
    return Panel("stat", title, [sql_target(sql, TABLE)], width=6, height=5, unit=unit, description=description)
