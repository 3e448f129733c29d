"""The stakeholders file: the shipped default, every class of mistake named by place, metric classes, start-up."""

from __future__ import annotations

import asyncio
import logging
import tomllib
from pathlib import Path

import pytest

from dashboard.app import create_app
from dashboard.kpi_checks import unknown_metrics
from otelhouse.config import Settings
from otelhouse.stakeholders import (
    BUSINESS,
    TECHNICAL,
    Classification,
    StakeholdersError,
    classify,
    load_stakeholders,
    parse_stakeholders,
)
from storage import Store
from tests.otelhouse.test_cli import run

GOOD = """
[stakeholders.finance]
title = "Finance"

[stakeholders.finance.pages.revenue]
title = "Revenue"

[[stakeholders.finance.pages.revenue.panels]]
id = "orders"
type = "tile"
metric = "shop.orders"
format = "count"

[[stakeholders.finance.pages.revenue.panels]]
id = "funnel"
type = "funnel"
steps = [{ label = "Carts", metric = "shop.carts" }, { label = "Orders", metric = "shop.orders" }]
"""
PANEL = "stakeholders.toml: stakeholder 'finance', page 'revenue', panel 'orders'"


def parse(text: str):
    return parse_stakeholders(tomllib.loads(text), "stakeholders.toml")


def test_the_default_file_fits_the_demo_shop() -> None:
    book = load_stakeholders()
    assert book.names == {"finance", "product", "support"}
    assert all(s.pages and all(p.panels for p in s.pages) for s in book.stakeholders)
    types = {panel.type for s in book.stakeholders for p in s.pages for panel in p.panels}
    assert types == {"tile", "timeseries", "bar", "table", "funnel", "note"}
    assert {"shop.orders", "shop.revenue", "shop.signups", "shop.cart.abandoned", "shop.payment.failures"} <= set(
        book.metrics()
    )


def test_a_good_file_parses_with_defaults() -> None:
    book = parse(GOOD)
    (finance,) = book.stakeholders
    tile = finance.page("revenue").panel("orders")
    assert (tile.kind, tile.aggregation, tile.period, tile.higher_is, tile.width) == (
        "counter",
        "sum",
        "auto",
        "good",
        "half",
    )
    assert finance.page("revenue").default_range == "now-7d"
    assert book.metrics() == {
        "shop.orders": ["finance/revenue/orders", "finance/revenue/funnel"],
        "shop.carts": ["finance/revenue/funnel"],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # unknown field, with a suggestion
        (('format = "count"', 'fromat = "count"'), f"{PANEL}: unknown field 'fromat' (did you mean 'format'?)"),
        # wrong type
        (('format = "count"', "format = 3"), f"{PANEL}: field 'format' must be text, got an integer '3'"),
        # a value outside its choices
        (
            ('format = "count"', 'format = "money"'),
            f"{PANEL}: field 'format' must be one of count, number, currency, percent",
        ),
        # an aggregation that does not fit the metric's kind
        (('format = "count"', 'aggregation = "p99"'), f"{PANEL}: field 'aggregation' must be one of sum, rate"),
        # a required field missing
        (('metric = "shop.orders"\nformat', "format"), f"{PANEL}: field 'metric' is required for a tile panel"),
        # a field that does not apply to the panel's type
        (('format = "count"', 'group_by = ["country"]'), f"{PANEL}: field 'group_by' does not apply to a tile"),
        # label filters must be text
        (
            ('format = "count"', "filters = { country = 1 }"),
            f"{PANEL}: field 'filters': label 'country' must have a text value",
        ),
        # a bad name
        (
            ('id = "orders"', 'id = "Orders!"'),
            "stakeholders.toml: stakeholder 'finance', page 'revenue', panel #1: panel id 'Orders!' must be",
        ),
        # two panels with one id
        (('id = "funnel"', 'id = "orders"'), f"{PANEL}: field 'id' is used by another panel of this page"),
        # a funnel needs two steps
        (
            ('{ label = "Carts", metric = "shop.carts" }, ', ""),
            "panel 'funnel': field 'steps' must list at least two steps",
        ),
        # a funnel step without its metric
        (
            ('{ label = "Carts", metric = "shop.carts" }', '{ label = "Carts" }'),
            "panel 'funnel', step 1: field 'metric' is required",
        ),
        # a stakeholder named like a role
        (("[stakeholders.finance]", "[stakeholders.admin]"), "stakeholder 'admin': 'admin' is a role of its own"),
        # a page's default range
        (
            ('title = "Revenue"', 'title = "Revenue"\ndefault_range = "last week"'),
            "page 'revenue': field 'default_range' must look like now-30d",
        ),
        # a page without panels
        (
            ('title = "Revenue"\n', 'title = "Revenue"\n[stakeholders.finance.pages.empty]\ntitle = "Empty"\n'),
            "stakeholder 'finance', page 'empty': field 'panels' is required",
        ),
        # out of range numbers
        (('format = "count"', "limit = 0"), f"{PANEL}: field 'limit' must be between 1 and 100, got 0"),
    ],
)
def test_each_mistake_names_file_stakeholder_page_panel_and_field(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(StakeholdersError) as err:
        parse(GOOD.replace(old, new, 1))
    assert message in str(err.value)


def test_top_level_and_classification_mistakes() -> None:
    with pytest.raises(
        StakeholdersError,
        match=r"stakeholders.toml: top level: unknown field 'stakeholder' \(did you mean 'stakeholders'\?\)",
    ):
        parse("[stakeholder.finance]\n")
    with pytest.raises(StakeholdersError, match="classification: field 'attribute' must look like key=value"):
        parse(GOOD + '\n[classification]\nattribute = "business"\n')
    with pytest.raises(StakeholdersError, match="field 'stakeholders' is required"):
        parse("")


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "kpi.toml"
    bad.write_text("[stakeholders.finance\n")
    with pytest.raises(StakeholdersError, match=rf"{bad}: not valid TOML: .*line 1"):
        load_stakeholders(bad)
    with pytest.raises(StakeholdersError, match=rf"{tmp_path / 'missing.toml'}: cannot read the stakeholders file"):
        load_stakeholders(tmp_path / "missing.toml")
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(StakeholdersError, match="not UTF-8"):
        load_stakeholders(bad)


def test_classification_by_name_pattern_and_attribute() -> None:
    rules = Classification(business=("shop.*", "signups"), technical=("shop.debug.*",))
    assert classify(rules, "shop.orders") == BUSINESS
    assert classify(rules, "signups") == BUSINESS
    assert classify(rules, "shop.debug.queue") == TECHNICAL  # a technical pattern wins
    assert classify(rules, "http.server.requests") == TECHNICAL
    assert classify(rules, "invoices.paid", has_attribute=True) == BUSINESS


def test_unknown_metrics_are_listed_with_the_panels_that_read_them() -> None:
    book = parse(GOOD)
    assert unknown_metrics(book, {"shop.orders"}) == {"shop.carts": ["finance/revenue/funnel"]}
    assert unknown_metrics(book, {"shop.orders", "shop.carts"}) == {}


async def test_a_new_install_without_metrics_is_not_warned_about(
    aiohttp_client, store: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dashboard.kpi_checks")
    await aiohttp_client(create_app(settings, store, parse(GOOD)))
    for _ in range(400):
        if any("no metrics stored yet" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    assert [r.levelname for r in caplog.records if r.name == "dashboard.kpi_checks"] == ["INFO"]


def test_an_invalid_file_stops_start_up_naming_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "stakeholders.toml"
    bad.write_text(GOOD.replace('format = "count"', 'format = "money"', 1))
    env = {
        "OTELHOUSE_DASHBOARD_STAKEHOLDERS_FILE": str(bad),
        "OTELHOUSE_CLICKHOUSE_URL": f"chdb://{tmp_path}/clickhouse",
        "OTELHOUSE_DASHBOARD_PORT": "0",
    }
    result = run(["dashboard"], env)
    assert result.returncode == 2, result.stderr
    assert (
        f"configuration error: {bad}: stakeholder 'finance', page 'revenue', panel 'orders': field 'format'"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "clickhouse").exists()  # nothing was opened


async def test_unknown_metrics_are_warned_about_at_start_up(
    aiohttp_client, store: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dashboard.kpi_checks")
    # some metric is stored (on a new install with none at all, nothing is warned about)
    store.call(
        lambda c: c.command(
            f"INSERT INTO {store.database}.otel_metrics_gauge (MetricName, TimeUnix) VALUES ('other.metric', now64(9))"
        )
    )
    await aiohttp_client(create_app(settings, store, parse(GOOD)))
    for _ in range(400):  # the check runs in the background once the store answers
        found = {r.metric: r.panels for r in caplog.records if hasattr(r, "metric")}
        if len(found) == 2:
            break
        await asyncio.sleep(0.05)
    assert found == {
        "shop.orders": "finance/revenue/orders, finance/revenue/funnel",
        "shop.carts": "finance/revenue/funnel",
    }
    assert all("no point in the last 30 days" in r.getMessage() for r in caplog.records if hasattr(r, "metric"))
