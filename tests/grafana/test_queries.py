"""Every ClickHouse query of every dashboard runs on chDB, after the plugin's substitutions, and returns what
its panel draws: once with every variable at "All" (and the panels with data must have some), once with one
value picked for each variable and the text boxes filled."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from clickhouse_connect.driver import Client

from grafana.boards.model import ENV_VALUE
from tests.grafana.conftest import Shop
from tests.grafana.files import dashboards, targets
from tests.grafana.macros import render

CLICKHOUSE = "grafana-clickhouse-datasource"
BOARDS = dashboards()
QUERIES = [
    pytest.param(name, panel["id"], target["refId"], id=f"{name}:{panel['id']}:{target['refId']}")
    for name, board in BOARDS.items()
    for panel, target in targets(board)
    if target["datasource"]["type"] == CLICKHOUSE
]
TRACE_VIEW = ("traceID", "spanID", "parentSpanID", "serviceName", "operationName", "startTime", "duration")
TEXT_PICKS = {  # what a user might type into each text box
    "trace_id": "SELECT TraceId FROM otel_logs WHERE TraceId != '' ORDER BY Timestamp DESC LIMIT 1",
    "search": "SELECT splitByWhitespace(Body)[1] FROM otel_logs WHERE Body != '' LIMIT 1",
    "min_ms": "SELECT '1'",
}
Values = dict[str, Sequence[str] | str]
# in EXPLAIN indexes = 1: an index (part min-max, partition or primary key) that a condition narrows
_NARROWED = re.compile(r"(Min-Max|Partition|PrimaryKey)\n[^\n]*Keys:\n(?:[^\n]*\n)+?[^\n]*Condition: (?!true\n)")


def variables(client: Client, board: dict[str, Any], shop: Shop, picked: bool) -> tuple[Values, frozenset[str]]:
    """Resolve the board's variables in order: each query runs with the ones before it substituted."""
    values: Values = {}
    everything: set[str] = set()
    for var in board["templating"]["list"]:
        name = var["name"]
        if var["type"] == "textbox":
            values[name] = client.query(TEXT_PICKS[name]).result_rows[0][0] if picked else ""
            continue
        if var["datasource"]["type"] != CLICKHOUSE:
            continue
        sql = render(var["query"]["rawSql"], values, shop.panel, frozenset(everything))
        options = [str(row[0]) for row in client.query(sql).result_rows]
        assert options, f"variable {name} has no values on the demo shop: {sql}"
        if picked:
            values[name] = options[:1] if var["multi"] else options[0]
        else:
            values[name] = options
            everything.add(name)
    return values, frozenset(everything)


def _numeric(type_name: str) -> bool:
    return re.match(r"(Nullable\()?(U?Int|Float|Decimal)", type_name) is not None


def check_columns(panel: dict[str, Any], target: dict[str, Any], names: list[str], types: list[str]) -> None:
    """Check the result has the columns the panel reads."""
    title = panel["title"]
    if target["format"] == 0:  # time series: a time column, then numbers (a text column makes series of them)
        assert names[0] == "time" and types[0].startswith("DateTime"), (title, names, types)
        assert any(_numeric(t) for t in types[1:]), (title, names, types)
    if panel["type"] == "stat":
        assert any(_numeric(t) for t in types), (title, types)
    if panel["type"] == "logs":
        assert {"timestamp", "body", "level"} <= set(names), (title, names)
    if panel["type"] == "traces":
        assert set(TRACE_VIEW) <= set(names), (title, names)
    for override in panel["fieldConfig"]["overrides"]:
        assert override["matcher"]["options"] in names, (title, override["matcher"], names)
        for prop in override["properties"]:
            for link in prop["value"] if prop["id"] == "links" else []:
                for field in re.findall(r"__data\.fields\.(\w+)", link["url"]):
                    assert field in names, (title, link["url"], names)


@pytest.mark.parametrize("picked", [False, True], ids=["all", "picked"])
@pytest.mark.parametrize(("name", "panel_id", "ref"), QUERIES)
def test_query_runs_and_returns_its_columns(shop: Shop, name: str, panel_id: int, ref: str, picked: bool) -> None:
    board = BOARDS[name]
    panel, target = next((p, t) for p, t in targets(board) if p["id"] == panel_id and t["refId"] == ref)
    values, everything = variables(shop.client, board, shop, picked)
    sql = render(target["rawSql"], values, shop.panel, everything)
    assert "$" not in sql.replace("'$", ""), f"something was left unsubstituted: {sql}"
    result = shop.client.query(sql)
    columns = shop.client.query(f"DESCRIBE ({sql})").result_rows  # names and types, also of an empty result
    check_columns(panel, target, [c[0] for c in columns], [c[1] for c in columns])
    if panel["type"] == "traces":  # shows the trace in the trace_id box only
        assert result.result_rows or not picked, sql
    elif not picked:
        assert result.result_rows, f"{name} {panel['title']!r} is empty on the demo shop: {sql}"


@pytest.mark.parametrize(("name", "panel_id", "ref"), QUERIES)
def test_query_reads_only_its_time_range(shop: Shop, name: str, panel_id: int, ref: str) -> None:
    """Each table read is narrowed by an index (the time range, or the trace id's), never a full scan."""
    board = BOARDS[name]
    target = next(t for p, t in targets(board) if p["id"] == panel_id and t["refId"] == ref)
    values, everything = variables(shop.client, board, shop, picked=True)
    sql = render(target["rawSql"], values, shop.panel, everything)
    plan = "\n".join(row[0] for row in shop.client.query(f"EXPLAIN indexes = 1 {sql}").result_rows) + "\n"
    reads = re.split(r"(?<!Lazily)ReadFromMergeTree", plan)[1:]  # lazy reads fetch rows already found
    assert reads, plan
    for read in reads:
        assert _NARROWED.search(read), f"{name} {panel_id}: a read no index narrows:\n{plan}"


@pytest.mark.parametrize("picked", [False, True], ids=["all", "picked"])
@pytest.mark.parametrize("name", list(BOARDS))
def test_variable_queries_have_values(shop: Shop, name: str, picked: bool) -> None:
    """Each ClickHouse variable query runs (after the variables before it) and offers at least one value."""
    values, _ = variables(shop.client, BOARDS[name], shop, picked)
    board = BOARDS[name]["templating"]["list"]
    queried = [v["name"] for v in board if v.get("datasource", {}).get("type") == CLICKHOUSE]
    assert all(values[n] for n in queried), values


def test_environment_is_the_new_attribute_or_the_old_one(shop: Shop) -> None:
    rows = shop.client.query(
        f"""SELECT {ENV_VALUE} FROM (
            SELECT map('deployment.environment', 'old') AS ResourceAttributes
            UNION ALL SELECT map('deployment.environment', 'old', 'deployment.environment.name', 'new')
            UNION ALL SELECT map('service.name', 'x')
        )"""
    ).result_rows
    assert sorted(r[0] for r in rows) == ["", "new", "old"]


# Typed into a text box (or put in the URL by anyone who may view the board). Grafana's sqlstring would make the
# first '\'' OR 1=1 --': ClickHouse reads \' as a quote inside the string, so the rest would run as SQL.
HOSTILE = ("\\' OR 1=1 --", "x') OR 1=1 OR ('", "\\", "%27 $__all {a,b}")


@pytest.mark.parametrize("typed", HOSTILE)
@pytest.mark.parametrize(("name", "panel_id", "ref"), QUERIES)
def test_text_boxes_cannot_change_the_query(shop: Shop, name: str, panel_id: int, ref: str, typed: str) -> None:
    """Whatever is typed into the text boxes stays a string: the query runs, and a search for it finds nothing."""
    board = BOARDS[name]
    target = next(t for p, t in targets(board) if p["id"] == panel_id and t["refId"] == ref)
    values, everything = variables(shop.client, board, shop, picked=False)
    boxes = {v["name"] for v in board["templating"]["list"] if v["type"] == "textbox"}
    values = {**values, **dict.fromkeys(boxes, typed)}
    sql = render(target["rawSql"], values, shop.panel, everything)
    rows = shop.client.query(sql).result_rows
    if re.search(r"\$\{(search|trace_id)\b", target["rawSql"]):
        assert rows == [], sql
