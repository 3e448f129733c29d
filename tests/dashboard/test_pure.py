"""Pure functions behind the pages: parameter parsing, the waterfall, histogram arithmetic."""

from __future__ import annotations

import math

import pytest

from dashboard import metricmath, params, tracetree
from storage.queries.common import NS, AttrFilter
from storage.queries.logs import text_terms

NOW = 1_800_000_000 * NS


def test_window_relative_absolute_and_bounds() -> None:
    w = params.window({"from": "now-15m"}, NOW)
    assert (w.start_ns, w.end_ns, w.step_s) == (NOW - 900 * NS, NOW, 10)
    w = params.window({"from": "1700000000000", "to": "2023-11-14T22:23:20+00:00"}, NOW)
    assert (w.start_ns, w.end_ns) == (1_700_000_000 * NS, 1_700_000_600 * NS)
    assert params.window({"from": "now-24h"}, NOW).step_s == 600  # at most 200 points
    for bad, message in [
        ({"from": "now", "to": "now-1h"}, "'to' must be after 'from'"),
        ({"from": "now-500d"}, "longer than 400 days"),
        ({"from": "2023-11-14T22:23:20"}, "needs a time zone"),
        ({"from": "now-1h", "step": "1"}, "more than 2000 points"),
        ({"from": "yesterday"}, "parameter 'from' must be"),
    ]:
        with pytest.raises(params.BadRequest, match=message):
            params.window(bad, NOW)


def test_attribute_filters_and_cursors() -> None:
    assert params.attr_filter("http.route=/a=b") == AttrFilter("http.route", "=", "/a=b")
    assert params.attr_filter("env != prod") == AttrFilter("env", "!=", "prod")
    assert params.attr_filter("user.id") == AttrFilter("user.id", "exists")
    assert params.attr_filter("!user.id") == AttrFilter("user.id", "absent")
    for bad in ("=x", "!", "", "!=v"):
        with pytest.raises(params.BadRequest):
            params.attr_filter(bad)
    assert params.cursor({"c": "12:34"}, "c") == (12, 34)
    for bad in ("12", "a:b", "1:2:3", f"1:{2**64}"):
        with pytest.raises(params.BadRequest):
            params.cursor({"c": bad}, "c")
    assert params.hex_id("AB" * 16, "id", 32) == "ab" * 16


def test_text_terms_lower_ascii_only_like_clickhouse() -> None:
    assert text_terms("Timeout user-42 Über") == [
        ("Timeout", ["timeout"]),
        ("user-42", ["user", "42"]),
        ("Über", ["Über"]),  # ClickHouse's lower() leaves non-ASCII letters alone
    ]


def columns(*spans: tuple[str, str, int, int, str]) -> dict[str, list]:
    """Return the waterfall's input columns of (span id, parent id, start, duration, service) tuples."""
    names = ("span_id", "parent_id", "start_ns", "duration_ns", "service")
    return {name: [s[k] for s in spans] for k, name in enumerate(names)}


def as_rows(w: dict) -> list[dict]:
    cols = w["spans"]
    return [dict(zip(cols, values, strict=True)) for values in zip(*cols.values(), strict=True)]


def test_waterfall_self_time_critical_path_and_orphans() -> None:
    w = tracetree.waterfall(
        columns(
            ("r", "", 0, 100, "a"),
            ("c1", "r", 10, 30, "b"),  # 10..40
            ("c2", "r", 30, 50, "b"),  # 30..80, overlaps c1
            ("g", "c2", 35, 10, "c"),
            ("o", "missing", 5, 5, "d"),  # parent not stored: shown as a root
        )
    )
    spans = as_rows(w)
    by_id = {s["span_id"]: s for s in spans}
    assert [s["span_id"] for s in spans] == ["r", "c1", "c2", "g", "o"]
    assert [s["depth"] for s in spans] == [0, 1, 1, 2, 0]
    assert [s["children"] for s in spans] == [2, 0, 1, 0, 0]
    assert by_id["r"]["self_ns"] == 100 - 70  # children cover 10..80
    assert by_id["c2"]["self_ns"] == 40
    # walking back from the root's end: c2 finishes last, then c1 before c2 started
    assert {s["span_id"] for s in spans if s["critical"]} == {"r", "c2", "g", "c1"}
    assert w["duration_ns"] == 100
    assert {s["service"]: s["self_ns"] for s in w["services"]} == {"a": 30, "b": 30 + 40, "c": 10, "d": 5}


def test_waterfall_of_a_10000_deep_chain_needs_no_recursion() -> None:
    chain = ((f"s{i}", f"s{i - 1}" if i else "", i, 20_000 - 2 * i, "a") for i in range(10_000))
    w = tracetree.waterfall(columns(*chain))
    assert w["spans"]["depth"][-1] == 9_999
    assert all(w["spans"]["critical"])


def test_waterfall_keeps_spans_on_a_parent_cycle_and_answers_an_empty_trace() -> None:
    w = tracetree.waterfall(columns(("a", "b", 0, 10, "x"), ("b", "a", 1, 5, "x"), ("c", "", 2, 3, "y")))
    assert sorted(w["spans"]["span_id"]) == ["a", "b", "c"]  # a and b reach no root, yet are shown
    assert w["spans"]["span_id"][0] == "c"
    empty = tracetree.waterfall(columns())
    assert empty["spans"]["depth"] == [] and empty["services"] == []


def test_quantiles_and_steps() -> None:
    dist = metricmath.explicit_dist([10.0, 50.0], [10, 80, 10])
    assert dist == {(0.0, 10.0): 10.0, (10.0, 50.0): 80.0, (50.0, math.inf): 10.0}
    assert metricmath.quantile(dist, 0.5) == 10 + 40 * (50 - 10) / 80
    assert metricmath.quantile(dist, 0.99) == 50.0  # in the open top bucket: its lower bound
    assert metricmath.quantile({}, 0.5) is None
    assert metricmath.choose_step(3600) == 30 and metricmath.choose_step(400 * 86400) == 86400 * 2


def test_step_increases_across_a_histogram_reset() -> None:
    def point(t: int, counts: list[int], start: int) -> dict:
        return {"s": 1, "g": [], "t": t, "ts_ns": t * NS, "start_ns": start, "temporality": 2,
                "count": sum(counts), "BucketCounts": counts, "ExplicitBounds": [10.0]}  # fmt: skip

    points = [point(0, [5, 5], 1), point(60, [7, 9], 1), point(120, [1, 0], 2)]
    got = metricmath.step_increases("histogram", points, start_ns=60 * NS, fetch_start_ns=0)
    assert got == {((), 60): {(0.0, 10.0): 2.0, (10.0, math.inf): 4.0}, ((), 120): {(0.0, 10.0): 1.0}}
