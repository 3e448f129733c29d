"""KPI pages in Debian's Chromium over a day of the demo shop: tiles, charts, a CSV downloaded and read back,
no console errors, no serious axe-core violation; light, dark and print screenshots kept under .artifacts/."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.app import create_app
from demo.backfill import backfill_range
from otelhouse.stakeholders import load_stakeholders
from storage import Store
from tests.dashboard.browser import Browser, chromium, needs_chromium
from tests.dashboard.conftest import live_database, serve

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.slow]
FITS_WIDTH = "() => document.documentElement.scrollWidth <= innerWidth"
CLIPPED_TABLE = "() => [...document.querySelectorAll('.t-table .kpi-body')].some((b) => b.scrollWidth > b.clientWidth)"
HOURS = 50  # two days: the 24-hour view has a previous period to compare with


@pytest.fixture(scope="module")
def shop_url(engine: Store, chdb_path) -> Iterator[str]:
    """A database of its own holding two days of the demo shop, written through a live collector."""
    with live_database(engine, chdb_path) as (store, settings, live):
        end = time.time() // 60 * 60
        backfill_range(live.http_url, {}, end - HOURS * 3600, end, visits_per_second=0.3, seed=5, sample=0.0)
        live.wait_stored()
        yield from serve(create_app(settings, store))


def _clean(b: Browser, name: str) -> None:
    b.shot(name)
    assert b.serious_violations() == [], name
    assert b.errors == [], name


def _drawn(b: Browser) -> None:
    """Wait until every panel has left 'Loading…', then check tiles show numbers and charts drew."""
    page = b.page
    page.wait_for_function(
        "() => !document.querySelector('.kpi-body p.muted') && document.getElementById('kpi-range').textContent"
    )
    charts = page.locator(".t-timeseries, .t-bar, .t-funnel")
    page.wait_for_function(
        "n => document.querySelectorAll('.t-timeseries .main-svg, .t-bar .main-svg, .t-funnel .main-svg').length >= n",
        arg=charts.count(),
    )
    for value in page.locator(".kpi-value").all_inner_texts():
        assert any(ch.isdigit() for ch in value), value


def _charts_coloured(b: Browser, colour: str = "") -> None:
    """Wait until every chart is drawn in `colour` (default: the theme's text colour)."""
    b.page.wait_for_function(
        """c => [...document.querySelectorAll('.js-plotly-plot')].every((p) => p._fullLayout && p._fullLayout.font.color
            === (c || getComputedStyle(document.documentElement).getPropertyValue('--fg').trim()))""",
        arg=colour,
    )


def _download_first_csv(b: Browser) -> list[list[str]]:
    with b.page.expect_download() as info:
        b.page.locator("a.csv").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the byte-order mark
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_every_default_kpi_page_draws_and_exports(shop_url: str) -> None:
    book = load_stakeholders()
    with chromium() as b:
        page = b.page
        page.goto(shop_url + "/kpi")
        for s in book.stakeholders:
            for p in s.pages:
                assert page.locator(f"a[href='/kpi/{s.id}/{p.id}']").count() == 1
        _clean(b, "kpi-index")
        for s in book.stakeholders:
            for p in s.pages:
                page.goto(f"{shop_url}/kpi/{s.id}/{p.id}?from=now-24h")
                _drawn(b)
                assert page.locator(".kpi-panel").count() == len(p.panels)
                assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
                assert not page.evaluate(CLIPPED_TABLE), "a table is wider than its panel"
                rows = _download_first_csv(b)
                assert rows[0] and len(rows) >= 2, rows
                _clean(b, f"kpi-{s.id}-{p.id}")


def test_dark_theme_print_layout_and_shareable_range(shop_url: str) -> None:
    with chromium() as b:
        page = b.page
        page.goto(shop_url + "/kpi/finance/revenue")
        _drawn(b)
        assert page.input_value("#tp-range") == "now-7d"  # the page's own default range
        page.select_option("#tp-range", "now-24h")
        page.wait_for_url("**/kpi/finance/revenue?from=now-24h")
        # exports follow the range
        page.wait_for_function(
            "() => document.querySelector('#panel-orders a.csv').getAttribute('href')"
            " === '/api/kpi/finance/revenue/orders.csv?from=now-24h'"
        )
        _drawn(b)
        page.click("#theme")
        _charts_coloured(b)
        _clean(b, "kpi-finance-revenue-dark")
        page.emulate_media(media="print")  # printed from the dark theme: the paper is white all the same
        _charts_coloured(b, "#111")
        assert not page.locator("header").is_visible()
        assert not page.locator("a.csv").first.is_visible()
        b.shot("kpi-finance-revenue-print")
        page.emulate_media(media="screen")
        page.go_back()  # the back button returns to the page's default range
        page.wait_for_function("() => document.getElementById('tp-range').value === 'now-7d'")
        assert b.errors == []
