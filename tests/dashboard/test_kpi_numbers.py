"""KPI figures on seeded business metrics equal figures computed here from what was sent.

Counters are OTLP points with chosen times and values POSTed to a live collector (as the metrics explorer's
tests do), plus one counter recorded through the OpenTelemetry SDK's meter and OTLP exporter.
"""

from __future__ import annotations

import csv
import io
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from dashboard.app import create_app
from otelhouse.stakeholders import parse_stakeholders
from tests.dashboard.conftest import World, serve
from tests.dashboard.seed import post_metrics
from tests.dashboard.test_api_metrics import CUMULATIVE, NS, request
from tests.dashboard.test_api_numbers import get

DELTA = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA
M0 = (int(time.time()) // 60 - 30) * 60  # a minute boundary half an hour ago: the current window starts here
DE_INCREMENTS = {k: 3 + (k % 4) for k in range(-10, 10)}  # minute -> increase of the DE series
FR_CURRENT = 2 * 5 + 1 + 3 * 4  # +2 five times, a restart that counts its whole value (1), then +3 four times
NL_CURRENT = 2 + 2 + 16 + 1  # points at minutes 0, 1, then a gap until 6, 7
VISITS, CHECKOUTS = 1000, 200

PANELS = """
[classification]
business = ["kt.orders", "kt.visits"]
technical = ["kt.visits"]

[stakeholders.test.pages.sales]
title = "Sales"
default_range = "now-1h"

[[stakeholders.test.pages.sales.panels]]
id = "orders"
type = "tile"
metric = "kt.orders"
format = "count"
target = 400

[[stakeholders.test.pages.sales.panels]]
id = "orders-rate"
type = "tile"
metric = "kt.orders"
aggregation = "rate"

[[stakeholders.test.pages.sales.panels]]
id = "orders-de"
type = "tile"
metric = "kt.orders"
filters = { country = "DE" }

[[stakeholders.test.pages.sales.panels]]
id = "queue-max"
type = "tile"
metric = "kt.queue"
kind = "gauge"
aggregation = "max"

[[stakeholders.test.pages.sales.panels]]
id = "by-country"
type = "table"
metric = "kt.orders"
group_by = ["country"]

[[stakeholders.test.pages.sales.panels]]
id = "over-time"
type = "timeseries"
metric = "kt.orders"
group_by = ["country"]
period = "minute"

[[stakeholders.test.pages.sales.panels]]
id = "orders-by-country"
type = "bar"
metric = "kt.orders"
group_by = ["country"]

[[stakeholders.test.pages.sales.panels]]
id = "funnel"
type = "funnel"
steps = [
  { label = "Visits", metric = "kt.visits" },
  { label = "Checkouts", metric = "kt.visits", filters = { step = "checkout" } },
  { label = "Orders", metric = "kt.orders" },
]

[[stakeholders.test.pages.sales.panels]]
id = "sdk-signups"
type = "tile"
metric = "kt.sdk.signups"

[[stakeholders.test.pages.sales.panels]]
id = "about"
type = "note"
text = "Numbers <b>seeded</b> by the test."
"""


def _at(minute: int) -> int:
    return (M0 + 60 * minute + 10) * NS


def _counter(scope, name: str, temporality=CUMULATIVE):
    metric = scope.metrics.add(name=name, unit="1")
    metric.sum.aggregation_temporality = temporality
    metric.sum.is_monotonic = True
    return metric


def _point(metric, minute: int, value: float, start_s: int, **labels: str) -> None:
    p = metric.sum.data_points.add(as_double=value, time_unix_nano=_at(minute), start_time_unix_nano=start_s * NS)
    for k, v in labels.items():
        p.attributes.add(key=k).value.string_value = v


def _seed(world: World) -> None:
    req, scope = request("shop")
    orders = _counter(scope, "kt.orders")
    long_ago = M0 - 7200
    value = 1000.0
    _point(orders, -11, value, long_ago, country="DE")  # the baseline of the previous window
    for k, inc in DE_INCREMENTS.items():
        value += inc
        _point(orders, k, value, long_ago, country="DE")
    for k, v in [(-1, 50), (0, 52), (1, 54), (2, 56), (3, 58), (4, 60)]:
        _point(orders, k, v, long_ago, country="FR")
    for k, v in [(5, 1), (6, 4), (7, 7), (8, 10), (9, 13)]:  # the process restarted: a new start time
        _point(orders, k, v, M0 + 5 * 60, country="FR")
    for k, v in [(-1, 10), (0, 12), (1, 14), (6, 30), (7, 31)]:
        _point(orders, k, v, long_ago, country="NL")
    visits = _counter(scope, "kt.visits", DELTA)
    for k in range(10):  # delta points: each minute's own count
        _point(visits, k, VISITS / 10 - CHECKOUTS / 10, M0 + 60 * k, step="browse")
        _point(visits, k, CHECKOUTS / 10, M0 + 60 * k, step="checkout")
    gauge = scope.metrics.add(name="kt.queue", unit="1")
    for k, v in [(0, 4), (1, 9), (2, 7)]:
        for host, extra in (("a", 0), ("b", 1)):
            p = gauge.gauge.data_points.add(as_double=v + extra, time_unix_nano=_at(k))
            p.attributes.add(key="host").value.string_value = host
    post_metrics(world.http_url, req)
    tagged, scope = request("invoicing")  # the service marks its metric as business on the resource
    tagged.resource_metrics[0].resource.attributes.add(key="otelhouse.category").value.string_value = "business"
    _point(_counter(scope, "kt.invoices"), 0, 1, M0)
    _point(_counter(scope, "kt.refunds"), 0, 1, M0, **{"otelhouse.category": "business"})  # or on the point
    post_metrics(world.http_url, tagged)

    provider = MeterProvider(
        metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{world.http_url}/v1/metrics"))],
        resource=Resource.create({"service.name": "shop-sdk"}),
    )
    counter = provider.get_meter("kpi-test").create_counter("kt.sdk.signups")
    counter.add(5, {"country": "DE"})
    counter.add(7, {"country": "FR"})
    provider.shutdown()  # exports what was recorded
    world.live.wait_stored()


@pytest.fixture(scope="module")
def kpi_url(world: World) -> Iterator[str]:
    _seed(world)
    book = parse_stakeholders(__import__("tomllib").loads(PANELS), "test.toml")
    yield from serve(create_app(world.settings, world.store, book))


def _window(start_min: int = 0, end_min: int = 10) -> dict:
    return {"from": str((M0 + 60 * start_min) * 1000), "to": str((M0 + 60 * end_min) * 1000)}


def _panels(base: str, **window) -> dict[str, dict]:
    body = get(base, "/api/kpi/test/sales", **(window or _window()))
    return {p["id"]: p for p in body["panels"]}


def test_tiles_totals_and_deltas_against_the_previous_period(kpi_url: str) -> None:
    panels = _panels(kpi_url)
    current = sum(DE_INCREMENTS[k] for k in range(10)) + FR_CURRENT + NL_CURRENT
    # previous window [M0-10m, M0): DE's increases; FR and NL only have their baselines there
    previous = sum(DE_INCREMENTS[k] for k in range(-10, 0))
    tile = panels["orders"]["data"]
    assert tile["value"] == current
    assert tile["previous"] == previous
    assert tile["change"] == pytest.approx((current - previous) / previous)
    assert tile["target"] == 400 and tile["progress"] == pytest.approx(current / 400)
    assert panels["orders-rate"]["data"]["value"] == pytest.approx(current / 600)
    de = panels["orders-de"]["data"]
    assert (de["value"], de["previous"]) == (sum(DE_INCREMENTS[k] for k in range(10)), previous)
    # a gauge: per step summed over its two series, then the maximum step
    assert panels["queue-max"]["data"]["value"] == 9 + 10


def test_counter_with_a_reset_and_a_period_with_gaps(kpi_url: str) -> None:
    panels = _panels(kpi_url)
    rows = {r["group"][0]: r for r in panels["by-country"]["data"]["rows"]}
    assert rows["FR"]["value"] == FR_CURRENT
    assert rows["NL"]["value"] == NL_CURRENT
    assert rows["FR"]["previous"] == 0 and rows["FR"]["change"] is None  # nothing to compare against
    whole = sum(r["value"] for r in rows.values())
    assert rows["NL"]["share"] == pytest.approx(NL_CURRENT / whole)
    series = {s["group"][0]: s["points"] for s in panels["over-time"]["data"]["series"]}
    # steps without points counted nothing; the increase across the gap lands on the first point after it
    assert [p["value"] for p in series["NL"]] == [2, 2, 0, 0, 0, 0, 16, 1, 0, 0]
    assert [p["t"] - M0 for p in series["NL"]] == [60 * k for k in range(10)]
    assert [p["value"] for p in series["FR"]] == [2, 2, 2, 2, 2, 1, 3, 3, 3, 3]
    bars = [r["group"][0] for r in panels["orders-by-country"]["data"]["rows"]]
    assert bars == sorted(rows, key=lambda c: -rows[c]["value"])


def test_funnel_conversion(kpi_url: str) -> None:
    steps = _panels(kpi_url)["funnel"]["data"]["steps"]
    orders = sum(DE_INCREMENTS[k] for k in range(10)) + FR_CURRENT + NL_CURRENT
    assert [s["value"] for s in steps] == [VISITS, CHECKOUTS, orders]
    assert steps[0]["from_previous"] is None
    assert steps[1]["from_previous"] == pytest.approx(CHECKOUTS / VISITS)
    assert steps[2]["from_previous"] == pytest.approx(orders / CHECKOUTS)
    assert steps[2]["from_first"] == pytest.approx(orders / VISITS)


def test_empty_period_gives_no_value_not_zero(kpi_url: str) -> None:
    panels = _panels(kpi_url, **_window(-40, -30))
    assert panels["orders"]["data"] == {
        "value": None,
        "previous": None,
        "change": None,
        "target": 400,
        "progress": None,
    }
    assert panels["by-country"]["data"]["rows"] == []
    assert panels["over-time"]["data"]["series"] == []
    assert [s["value"] for s in panels["funnel"]["data"]["steps"]] == [None, None, None]
    assert "about" not in panels  # a note has no figures


def test_counter_recorded_with_the_sdk(kpi_url: str) -> None:
    tile = get(kpi_url, "/api/kpi/test/sales/sdk-signups.json", **{"from": "now-15m"})
    assert tile["data"]["value"] == 12


def test_metrics_explorer_shows_each_metrics_class(kpi_url: str) -> None:
    found = get(kpi_url, "/api/metrics", search="kt.", **_window(-15, 15))["metrics"]
    classes = {m["name"]: m["class"] for m in found}
    assert classes == {
        "kt.orders": "business",  # a name pattern
        "kt.invoices": "business",  # the resource attribute
        "kt.refunds": "business",  # the point attribute
        "kt.visits": "technical",  # a technical pattern wins
        "kt.queue": "technical",  # matched by nothing
    }


def test_csv_is_excel_ready_and_matches_the_json(kpi_url: str) -> None:
    query = urllib.parse.urlencode(_window())
    with urllib.request.urlopen(f"{kpi_url}/api/kpi/test/sales/by-country.csv?{query}", timeout=60) as res:
        raw = res.read()
        assert res.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert res.headers["Content-Disposition"] == 'attachment; filename="test-sales-by-country.csv"'
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    body = get(kpi_url, "/api/kpi/test/sales/by-country.json", **_window())
    assert rows[0] == body["table"]["columns"] == ["country", "value", "previous period", "change (%)", "share (%)"]
    assert [r[0] for r in rows[1:]] == [r[0] for r in body["table"]["rows"]]
    assert {r[0]: float(r[1]) for r in rows[1:]}["FR"] == FR_CURRENT
    with urllib.request.urlopen(f"{kpi_url}/api/kpi/test/sales/over-time.csv?{query}", timeout=60) as res:
        series = list(csv.reader(io.StringIO(res.read().decode("utf-8-sig"))))
    assert series[0] == ["time (UTC)", "country", "value"]
    assert len(series) == 1 + 3 * 10  # every minute of each country


def _status(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/kpi/test/sales?from=yesterday", 400),
        ("/api/kpi/test/sales?from=now-1h&to=now-2h", 400),
        ("/api/kpi/test/sales?step=-5", 400),
        ("/api/kpi/test/sales?step=1&from=now-30d", 400),
        ("/api/kpi/test/sales?from=" + "9" * 2000, 400),
        ("/api/kpi/test/sales/orders.csv?to=2026-13-01T00:00:00Z", 400),
        ("/api/kpi/test/sales/orders.json?from=now-401d", 400),
        ("/api/kpi/nobody/sales", 404),
        ("/api/kpi/test/nothing", 404),
        ("/api/kpi/test/sales/nothing.csv", 404),
        ("/api/kpi/test/sales/orders.xlsx", 404),
        ("/api/kpi/test/sales/orders", 404),
        ("/api/kpi/test/sales/about.csv", 404),
        ("/kpi/test/nothing", 404),
        ("/kpi/%00/x", 404),
    ],
)
def test_bad_requests_are_4xx_never_500(kpi_url: str, path: str, status: int) -> None:
    code, body = _status(kpi_url + path)
    assert code == status, body[:300]
    assert b"Traceback" not in body


def test_a_panel_with_too_many_rows_is_a_clear_400(kpi_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storage.queries.kpi.MAX_KPI_ROWS", 5)
    code, body = _status(f"{kpi_url}/api/kpi/test/sales/over-time.json?{urllib.parse.urlencode(_window())}")
    assert code == 400
    assert "panel 'over-time': metric 'kt.orders' grouped by country gives more than 5 rows" in body.decode()
