"""The test-side substitution matches the plugin's own test expectations (pkg/macros, CHDatasource.test.ts)."""

from __future__ import annotations

import pytest

from tests.grafana.macros import Panel, conditional_all, render, template_variables

# the plugin's tests use the range 1415792726123 .. 1447328726456 ms
P = Panel(from_ms=1415792726123, to_ms=1447328726456, interval_ms=20_000)


@pytest.mark.parametrize(
    ("sql", "want"),
    [
        (
            "select * from foo where $__timeFilter(cast(sth as timestamp) )",
            "select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) "
            "AND cast(sth as timestamp) <= toDateTime(1447328726)",
        ),
        (
            "where $__timeFilter_ms(t)",
            "where t >= fromUnixTimestamp64Milli(1415792726123) AND t <= fromUnixTimestamp64Milli(1447328726456)",
        ),
        ("where $__dateFilter(d)", "where d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')"),
        (
            "$__dateTimeFilter(d, t)",
            "(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) "
            "AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))",
        ),
        ("$__fromTime, $__toTime", "toDateTime(1415792726), toDateTime(1447328726)"),
        ("$__fromTime_ms", "fromUnixTimestamp64Milli(1415792726123)"),
        ("$__timeInterval(Timestamp)", "toStartOfInterval(toDateTime(Timestamp), INTERVAL 20 second)"),
        ("$__timeInterval_ms(Timestamp)", "toStartOfInterval(toDateTime64(Timestamp, 3), INTERVAL 20000 millisecond)"),
        ("count() / $__interval_s", "count() / 20"),
    ],
)
def test_macros_expand_like_the_plugin(sql: str, want: str) -> None:
    assert render(sql, {}, P) == want


def test_interval_below_a_second_counts_as_one() -> None:
    assert render("$__interval_s $__timeInterval(t)", {}, Panel(0, 1000, 200)) == (
        "1 toStartOfInterval(toDateTime(t), INTERVAL 1 second)"
    )


def test_conditional_all_matches_the_plugin() -> None:
    sql = "select stuff from table where $__conditionalAll(fieldVal in ($fieldVal), $fieldVal) and $__conditionalAll(fieldVal in ($fieldVal2), $fieldVal2);"  # noqa: E501
    values = {"fieldVal": ["val1", "val2"], "fieldVal2": ["a"]}
    assert conditional_all(sql, values, frozenset({"fieldVal2"})) == (
        "select stuff from table where fieldVal in ($fieldVal) and 1=1;"
    )
    assert conditional_all("$__conditionalAll(f(a, b) > 0, $search)", {"search": ""}, frozenset()) == "1=1"


def test_variables_are_formatted_like_grafana() -> None:
    values = {"service": ["a", "b'c"], "env": "prod", "q": "it's"}
    assert (
        template_variables(
            "IN ($service) AND e = '${env}'",
            values,
        )
        == "IN ('a','b'c') AND e = 'prod'"
    )
    assert template_variables("${q:sqlstring} ${service:csv} [[env]]", values) == "'it''s' a,b'c prod"
    assert template_variables("$__timeFilter(x) $unknown", values) == "$__timeFilter(x) $unknown"
    # Grafana's own case (formatRegistry tests), and a quote and a backslash encoded too
    grafana_case = template_variables("${v:percentencode}", {"v": ["foo()bar BAZ", "test2"]})
    assert grafana_case == "%7Bfoo%28%29bar%20BAZ%2Ctest2%7D"
    assert template_variables("${v:percentencode}", {"v": "it's \\ é!*"}) == "it%27s%20%5C%20%C3%A9%21%2A"


def test_unknown_macro_or_bad_arguments_fail() -> None:
    with pytest.raises(ValueError, match="unknown macro"):
        render("$__timeFiltr(t)", {}, P)
    with pytest.raises(ValueError, match="takes 1 argument"):
        render("$__timeFilter(a, b)", {}, P)
