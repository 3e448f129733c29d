"""KPI arithmetic and notes as pure functions: totals, changes, zero-filled counter steps, shares, funnels, tables."""

from __future__ import annotations

import pytest

from dashboard import kpi_values as kv
from dashboard.api_kpi import csv_response
from dashboard.notes import render_note
from otelhouse.stakeholders import Panel, Step

COUNTER = Panel(id="c", type="tile", metric="m")


def pts(*rows: tuple[int, tuple, float]) -> list[dict]:
    return [{"t": t, "g": list(g), "value": v} for t, g, v in rows]


def test_totals_by_kind_and_aggregation() -> None:
    points = pts((0, (), 3.0), (60, (), 5.0), (120, (), 1.0))
    assert kv.total(points, COUNTER, 600) == 9
    assert kv.total(points, Panel(id="r", type="tile", metric="m", aggregation="rate"), 600) == pytest.approx(9 / 600)
    gauge = {
        a: Panel(id="g", type="tile", metric="m", kind="gauge", aggregation=a) for a in ("last", "avg", "min", "max")
    }
    two_series = pts((0, (), 3.0), (0, (), 1.0), (60, (), 5.0), (120, (), 1.0))  # two rows of one step are added
    assert {a: kv.total(two_series, p, 600) for a, p in gauge.items()} == {"last": 1, "avg": 10 / 3, "min": 1, "max": 5}
    assert kv.total([], COUNTER, 600) is None


def test_change_needs_two_figures_and_a_nonzero_base() -> None:
    assert kv.change(120, 100) == pytest.approx(0.2)
    assert kv.change(80, -100) == pytest.approx(1.8)  # against the size of a negative base
    assert kv.change(5, 0) is None and kv.change(None, 3) is None and kv.change(3, None) is None


def test_counter_steps_without_points_read_zero_gauge_steps_stay_gaps() -> None:
    steps = kv.steps(30, 250, 60)
    assert list(steps) == [0, 60, 120, 180, 240]
    points = pts((60, ("a",), 2.0), (180, ("a",), 4.0))
    (counter,) = kv.series(points, Panel(id="s", type="timeseries", metric="m"), steps)
    assert [p["value"] for p in counter["points"]] == [0, 2, 0, 4, 0]
    (gauge,) = kv.series(points, Panel(id="s", type="timeseries", metric="m", kind="gauge"), steps)
    assert [(p["t"], p["value"]) for p in gauge["points"]] == [(60, 2), (180, 4)]


def test_breakdown_shares_money_within_each_currency() -> None:
    panel = Panel(id="t", type="table", metric="m", group_by=("currency", "country"), format="currency")
    now = pts((0, ("EUR", "DE"), 30.0), (0, ("EUR", "FR"), 10.0), (0, ("JPY", "JP"), 9000.0))
    before = pts((0, ("EUR", "DE"), 20.0))
    rows = {tuple(r["group"]): r for r in kv.breakdown(now, before, panel, 600)}
    assert rows[("EUR", "DE")]["share"] == pytest.approx(0.75)
    assert rows[("JPY", "JP")]["share"] == 1
    assert rows[("EUR", "DE")]["change"] == pytest.approx(0.5)
    assert rows[("EUR", "FR")]["previous"] is None
    assert [r["group"][1] for r in kv.breakdown(now, before, panel, 600)] == ["JP", "DE", "FR"]


def test_funnel_conversion_and_an_empty_first_step() -> None:
    panel = Panel(id="f", type="funnel", steps=(Step("a", "m1"), Step("b", "m2"), Step("c", "m3")))
    steps = kv.funnel([200.0, 50.0, 10.0], panel)
    assert [(s["from_previous"], s["from_first"]) for s in steps] == [(None, None), (0.25, 0.25), (0.2, 0.05)]
    assert [s["from_first"] for s in kv.funnel([0.0, 0.0, None], panel)] == [None, None, None]


def test_tables_are_what_the_csv_holds() -> None:
    tile = Panel(id="t", type="tile", metric="shop.revenue", unit="EUR", target=100)
    columns, rows = kv.table(tile, {"value": 50.0, "previous": 40.0, "change": 0.25, "target": 100.0}, 0, 3600)
    assert columns == ["from (UTC)", "to (UTC)", "metric", "value", "previous period", "change (%)", "target", "unit"]
    assert rows == [["1970-01-01 00:00:00", "1970-01-01 01:00:00", "shop.revenue", 50.0, 40.0, 25.0, 100.0, "EUR"]]
    series = Panel(id="s", type="timeseries", metric="m", group_by=("country",))
    columns, rows = kv.table(series, {"series": [{"group": ["DE"], "points": [{"t": 60, "value": 0.1 + 0.2}]}]}, 0, 120)
    assert (columns, rows) == (["time (UTC)", "country", "value"], [["1970-01-01 00:01:00", "DE", 0.3]])


def test_notes_render_markdown_but_never_markup() -> None:
    html = render_note(
        "**Hi** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://example.com)"
    )
    assert "<strong>Hi</strong>" in html and '<a href="https://example.com">ok</a>' in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html


def test_csv_cells_never_start_a_formula() -> None:

    body = csv_response("x.csv", ["country", "value"], [["=HYPERLINK(1)", -5.0], ["@SUM", 1.0], ["DE", 2.0]]).body
    assert body.decode("utf-8-sig").splitlines() == ["country,value", "'=HYPERLINK(1),-5.0", "'@SUM,1.0", "DE,2.0"]
