"""Every page in Debian's Chromium: charts render, links lead on, the time picker and back button work,
no console errors, no serious or critical axe-core violation; screenshots kept under .artifacts/."""

from __future__ import annotations

import time

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb
from opentelemetry.proto.trace.v1 import trace_pb2 as tpb_trace

from tests.dashboard.browser import Browser, chromium, needs_chromium
from tests.dashboard.conftest import World
from tests.dashboard.seed import post_metrics, post_raw
from tests.dashboard.test_api_metrics import CUMULATIVE, NS, request

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.slow]


def check(b: Browser, name: str) -> None:
    """Screenshot the page, then require no console errors and no serious accessibility violation."""
    b.shot(name)
    assert b.serious_violations() == [], name
    assert b.errors == [], name


def charts_drawn(b: Browser, selector: str) -> None:
    b.page.wait_for_selector(f"{selector} .main-svg", state="attached")
    assert b.page.locator(f"{selector} .main-svg").count() >= 1


@pytest.fixture(scope="module")
def metrics_seeded(world: World) -> None:
    """A counter with two series over the last 15 minutes, sent once for the module."""
    now = int(time.time())
    req, scope = request("billing")
    metric = scope.metrics.add(name="queue.jobs", unit="1", description="jobs taken from the queue")
    metric.sum.aggregation_temporality = CUMULATIVE
    metric.sum.is_monotonic = True
    for k in range(30):
        p = metric.sum.data_points.add(as_double=k * 3.0, time_unix_nano=(now - 900 + 30 * k) * NS)
        p.start_time_unix_nano = (now - 3600) * NS
        p.attributes.add(key="queue").value.string_value = "mail" if k % 2 else "sms"
    post_metrics(world.http_url, req)
    world.live.wait_stored()


def test_engineer_walks_services_service_trace_span_logs_and_back(world: World, dashboard_url: str) -> None:
    with chromium() as b:
        page = b.page
        page.goto(dashboard_url + "/")
        page.wait_for_url("**/services")
        page.wait_for_selector("#services tbody tr")
        assert page.locator("#services tbody tr").count() == 3
        assert page.inner_text("#tp-tz")  # the browser's time zone is shown
        check(b, "services")

        page.fill("#filter", "pay")
        assert page.locator("#services tbody tr").count() == 1
        page.click("#services a:text('payments')")
        page.wait_for_url("**/services/payments*")
        page.wait_for_selector("#operations-table tbody tr")
        charts_drawn(b, "#chart-errors")
        charts_drawn(b, "#chart-heatmap")
        assert "TimeoutError" in page.inner_text("#errors-table")
        assert "cart" in page.inner_text("#callers")
        check(b, "service")

        page.click("#errors-table tbody tr >> a")
        page.wait_for_url("**/traces/*")
        page.wait_for_selector(".wf-row")
        assert page.locator(".wf-row").count() == 5
        charts_drawn(b, "#chart-breakdown")
        page.click(".wf-row.err >> text=payments: charge")
        page.wait_for_selector("#detail pre")
        assert "TimeoutError" in page.inner_text("#detail pre")  # the exception's stack trace, readable
        assert "span=" in page.url
        check(b, "trace")

        page.click("#trace-logs")
        page.wait_for_url("**/logs?*")
        page.wait_for_selector("#log-table tbody tr")
        assert page.locator("#log-table tbody tr").count() == 1
        charts_drawn(b, "#chart-histogram")
        page.click("#log-table tbody tr >> button.tog")
        page.wait_for_selector("#log-table tr.detail")
        page.click("#log-table tr.detail button.context")
        page.wait_for_selector("#log-table tr.detail table tr")
        check(b, "logs")

        page.go_back()
        page.wait_for_url("**/traces/*")
        page.wait_for_selector(".wf-row")
        page.go_back()
        page.wait_for_url("**/services/payments*")
        page.wait_for_selector("#operations-table tbody tr")
        assert b.errors == []


def test_time_picker_back_button_and_other_pages(world: World, dashboard_url: str, metrics_seeded: None) -> None:
    with chromium() as b:
        page = b.page
        page.goto(dashboard_url + "/services")
        page.wait_for_selector("#services tbody tr")
        page.select_option("#tp-range", "now-5m")
        page.wait_for_url("**/services?from=now-5m")
        page.wait_for_selector("#services tbody tr, .empty")
        page.select_option("#tp-range", "now-24h")
        page.wait_for_url("**/services?from=now-24h")
        page.go_back()
        page.wait_for_url("**/services?from=now-5m")
        assert page.input_value("#tp-range") == "now-5m"
        page.select_option("#tp-range", "custom")
        page.fill("#tp-from", "2020-01-01T00:00:00")
        page.fill("#tp-to", "2020-01-02T00:00:00")
        page.click("#tp-custom button")
        page.wait_for_url("**/services?from=*&to=*")
        page.wait_for_selector(".empty")
        assert "No server or consumer spans" in page.inner_text("#services-table")
        check(b, "services-empty")

        page.goto(dashboard_url + "/map")
        page.wait_for_selector("#edges-table tbody tr")
        charts_drawn(b, "#chart-map")
        check(b, "map")

        page.goto(dashboard_url + "/traces?service=payments&status=Error")
        page.wait_for_selector("#traces-table tbody tr")
        assert page.locator("#traces-table tbody tr").count() == 9
        charts_drawn(b, "#chart-scatter")
        check(b, "traces")

        page.goto(dashboard_url + "/metrics")
        page.wait_for_selector("#catalog-table tbody tr")
        page.click("#catalog-table a:text('queue.jobs')")
        page.wait_for_selector("#chart-series .scatterlayer .trace")
        page.select_option("#f-group", "queue")
        page.click("#controls button[type=submit]")
        page.wait_for_url("**group=queue*")
        page.wait_for_function("() => document.querySelectorAll('#chart-series .scatterlayer .trace').length === 2")
        check(b, "metrics")

        page.click("#theme")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        page.wait_for_timeout(300)
        check(b, "metrics-dark")

        page.goto(dashboard_url + "/traces/zz")
        assert "32 hexadecimal characters" in page.inner_text("#error-message")
        b.errors.clear()  # the 400 itself is logged by Chromium as a failed resource
        check(b, "bad-request")


def big_trace_request(spans: int, trace_id: bytes) -> bytes:
    """One trace of `spans` spans in four services, each span the child of span (i - 1) // 4."""
    req = tpb.ExportTraceServiceRequest()
    now = time.time_ns() - 60 * NS
    for svc in range(4):
        rs = req.resource_spans.add()
        rs.resource.attributes.add(key="service.name").value.string_value = f"big-{svc}"
        ss = rs.scope_spans.add()
        for i in range(svc, spans, 4):
            s = ss.spans.add(trace_id=trace_id, span_id=(i + 1).to_bytes(8, "big"), name=f"step {i % 17}")
            if i:
                s.parent_span_id = ((i - 1) // 4 + 1).to_bytes(8, "big")
            s.start_time_unix_nano = now + i * 1000
            s.end_time_unix_nano = now + (spans - i) * 1000 + i * 1000 + 10
            s.kind = tpb_trace.Span.SPAN_KIND_INTERNAL
    return req.SerializeToString()


def test_a_trace_of_10000_spans_opens_without_freezing(world: World, dashboard_url: str) -> None:
    trace_id = bytes.fromhex("5" * 32)
    post_raw(world.http_url, "/v1/traces", big_trace_request(10_000, trace_id))
    world.live.wait_stored()
    with chromium() as b:
        page = b.page
        page.set_default_timeout(90_000)  # a loaded, shared machine; bench/dashboard.py measures the time
        t0 = time.perf_counter()
        page.goto(f"{dashboard_url}/traces/{'5' * 32}")
        page.wait_for_selector(".wf-row")
        page.wait_for_selector("#chart-breakdown .main-svg")
        opened_s = time.perf_counter() - t0
        assert "10000 spans" in page.inner_text("#summary")
        assert page.locator(".wf-row").count() < 200  # only the rows in view are in the page
        # the page still answers: scroll to the end, open the last span, search, collapse
        page.eval_on_selector("#wf", "el => { el.scrollTop = el.scrollHeight; }")
        page.wait_for_timeout(300)  # the scroll handler draws on the next animation frame
        last = page.locator(".wf-row").last
        name = last.inner_text().split(": ", 1)[1]
        last.locator(".wf-name").click()
        page.wait_for_function("() => document.querySelector('#detail h2') !== null")
        assert page.inner_text("#detail h2") == name
        page.fill("#find", "step 16")
        page.wait_for_function("() => document.querySelector('#find-count').textContent !== ''")
        assert page.inner_text("#find-count") == "588 matching spans"  # i % 17 == 16 for i < 10,000
        page.click("#collapse-all")
        assert page.locator(".wf-row").count() < 10
        b.shot("trace-10000")
        assert b.errors == []
    # a loose bound (the machine is shared); bench/dashboard.py measures this properly
    assert opened_s < 60, opened_s
