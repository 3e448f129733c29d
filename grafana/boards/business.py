"""Business KPIs from the demo shop's business metrics (shop.*), as the default stakeholders file names them.

The shop's counters are delta sums (otel_metrics_sum, AggregationTemporality 1), so a period's total is the sum
of its points. Revenue is summed per currency: currencies are never added together.
"""

from __future__ import annotations

from typing import Any

from grafana.boards.model import (
    ENVIRONMENT,
    Panel,
    column_unit,
    dashboard,
    environment_variable,
    sql_target,
    sql_variable,
    stat,
    table,
)

UID = "otelhouse-business"
DELTA = f"$__timeFilter(TimeUnix) AND AggregationTemporality = 1 AND {ENVIRONMENT}"
CURRENCY = "$__conditionalAll(Attributes['currency'] IN (${currency}), $currency)"


def _over_time(metric: str, attribute: str) -> str:
    return f"""
SELECT $__timeInterval(TimeUnix) AS time, Attributes['{attribute}'] AS {attribute}, sum(Value) AS value
FROM otel_metrics_sum
WHERE MetricName = '{metric}' AND {DELTA} AND {CURRENCY}
GROUP BY time, {attribute}
ORDER BY time
"""


def _total(title: str, metric: str, description: str) -> Panel:
    sql = f"SELECT sum(Value) AS `{title}` FROM otel_metrics_sum WHERE MetricName = '{metric}' AND {DELTA}"
    return stat(title, sql, "short", description)


def build() -> dict[str, Any]:
    """Return the business KPI dashboard."""
    conversion = f"""
SELECT sumIf(Value, MetricName = 'shop.orders')
    / greatest(sumIf(Value, MetricName IN ('shop.orders', 'shop.cart.abandoned')), 1) AS Conversion
FROM otel_metrics_sum
WHERE MetricName IN ('shop.orders', 'shop.cart.abandoned') AND {DELTA}
"""
    by_country = f"""
SELECT Attributes['currency'] AS Currency, Attributes['country'] AS Country,
    sumIf(Value, MetricName = 'shop.orders') AS Orders,
    sumIf(Value, MetricName = 'shop.revenue') AS Revenue,
    Revenue / greatest(Orders, 1) AS `Average order`
FROM otel_metrics_sum
WHERE MetricName IN ('shop.orders', 'shop.revenue') AND {DELTA} AND {CURRENCY}
GROUP BY Currency, Country
ORDER BY Currency, Revenue DESC
LIMIT 100
"""
    failures = f"""
SELECT Attributes['reason'] AS Reason, Attributes['payment.provider'] AS Provider, sum(Value) AS Failures
FROM otel_metrics_sum
WHERE MetricName = 'shop.payment.failures' AND {DELTA}
GROUP BY Reason, Provider
ORDER BY Failures DESC
LIMIT 50
"""
    funnel = f"""
SELECT $__timeInterval(TimeUnix) AS time, MetricName, sum(Value) AS value
FROM otel_metrics_sum
WHERE MetricName IN ('shop.signups', 'shop.cart.abandoned', 'shop.payment.failures') AND {DELTA}
GROUP BY time, MetricName
ORDER BY time
"""
    currencies = sql_variable(
        "currency",
        "Currency",
        """
SELECT DISTINCT Attributes['currency'] AS currency
FROM otel_metrics_sum
WHERE MetricName = 'shop.revenue' AND $__timeFilter(TimeUnix)
ORDER BY currency
""",
    )
    items: list[Panel | dict[str, Any]] = [
        _total("Orders", "shop.orders", "Orders placed in the range."),
        _total("Sign-ups", "shop.signups", "Customer sign-ups in the range."),
        _total("Abandoned carts", "shop.cart.abandoned", "Carts filled and left without checking out."),
        stat("Checkout conversion", conversion, "percentunit", "Orders / (orders + abandoned carts)."),
        Panel("timeseries", "Orders by country", [sql_target(_over_time("shop.orders", "country"))], unit="short"),
        Panel(
            "timeseries",
            "Revenue by currency",
            [sql_target(_over_time("shop.revenue", "currency"))],
            description="Each in its own currency.",
        ),
        table(
            "Revenue and orders by currency and country",
            by_country,
            overrides=[column_unit("Orders", "short"), column_unit("Revenue", "none")],
            width=14,
        ),
        table("Payment failures by reason", failures, width=10),
        Panel("timeseries", "Sign-ups, abandoned carts and payment failures", [sql_target(funnel)], width=24),
    ]
    variables = [environment_variable("otel_metrics_sum", "TimeUnix"), currencies]
    return dashboard(
        UID,
        "Business KPIs",
        "The demo shop's business metrics (shop.*): orders, revenue, sign-ups, carts, payment failures.",
        variables,
        items,
        time_from="now-24h",
    )
