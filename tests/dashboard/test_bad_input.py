"""Bad input on every page and API parameter: a 400 with a message or an empty answer, never a 500,
and no value a user gave ever becomes part of the SQL text."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from storage.queries import edges, kpi, logs, metrics, services, traces
from storage.queries.common import AttrFilter, Window
from tests.dashboard.conftest import World

INJECTIONS = [
    "' OR 1=1 --",
    "x'); DROP TABLE otel_traces; --",
    "{start:Int64}",
    "\\",
    "%_%",
    "\u202e\u0000",
    "😀" * 50,
    "a" * 1025,
]
ABSURD = ["now-999999w", "99999999999999999999", "-5", "1970-01-01T00:00:00", "9999-12-31T00:00:00Z", ""]
WRONG_TYPES = ["abc", "1.5", "[]"]
TRACE_IDS = ["0" * 31, "g" * 32, "0" * 32 + "'"]

# every API path and the parameters it reads
ENDPOINTS: dict[str, list[str]] = {
    "/api/services": ["from", "to", "step"],
    "/api/services/checkout": ["from", "to", "step"],
    "/api/map": ["from", "to"],
    "/api/service-names": ["from", "to"],
    "/api/traces": ["service", "operation", "status", "min_ms", "max_ms", "attr", "trace_id", "limit", "from"],
    "/api/traces/" + "0" * 32 + "/find": ["q"],
    "/api/logs": ["service", "level", "q", "attr", "trace_id", "span_id", "limit", "cursor", "from", "to"],
    "/api/logs/histogram": ["q", "level", "attr", "step"],
    "/api/logs/context": ["service", "cursor", "n"],
    "/api/logs/tail": ["after", "q", "limit"],
    "/api/metrics": ["search", "from"],
    "/api/metrics/series": ["name", "kind", "agg", "group", "attr", "step"],
    "/api/kpi/finance/revenue": ["from", "to", "step"],
    "/api/kpi/finance/revenue/orders.csv": ["from", "to", "step"],
    "/api/kpi/product/growth/checkout-funnel.json": ["from", "to", "step"],
}
PAGES = ["/services", "/services/x", "/map", "/traces", "/logs", "/metrics", "/kpi", "/kpi/finance/revenue"]


@pytest.fixture
async def client(aiohttp_client, world: World):
    return await aiohttp_client(create_app(world.settings, world.store))


async def expect_clean(client, path: str, params: dict) -> None:
    res = await client.get(path, params=params)
    body = await res.text()
    assert res.status in (200, 400, 404), (path, params, res.status, body[:300])
    if res.status == 400:
        assert "error" in (await res.json()) if path.startswith("/api/") else "error-message" in body


@pytest.mark.slow
async def test_every_api_parameter_fuzzed(client, world: World) -> None:
    store = world.store
    count = f"SELECT count() FROM {store.database}.otel_traces"
    spans = store.call(lambda c: c.query(count).result_rows[0][0])
    base = {
        "/api/logs/context": {"cursor": "1:1"},
        "/api/logs/tail": {"after": "1:1"},
        "/api/metrics/series": {"name": "m"},
    }
    for path, names in ENDPOINTS.items():
        for name in names:
            for value in INJECTIONS + ABSURD + WRONG_TYPES + TRACE_IDS:
                await expect_clean(client, path, {**base.get(path, {}), name: value})
    for value in INJECTIONS + TRACE_IDS:
        await expect_clean(client, f"/api/traces/{value[:200]}", {})
        await expect_clean(client, f"/api/traces/{value[:200]}/find", {"q": value})
        await expect_clean(client, f"/api/traces/{'0' * 32}/spans/{value[:200]}", {})
        await expect_clean(client, f"/api/traces/{value[:200]}/spans/{'0' * 16}", {})
        await expect_clean(client, f"/api/services/{value[:200]}", {})
        await expect_clean(client, f"/api/kpi/{value[:200]}/revenue", {})
        await expect_clean(client, f"/api/kpi/finance/{value[:200]}/orders.csv", {})
        await expect_clean(client, f"/api/kpi/finance/revenue/{value[:200]}.json", {})
        await expect_clean(client, f"/kpi/finance/{value[:200]}", {})
    for page in PAGES:
        for value in ["' OR 1=1 --", "now-999999w", "abc"]:
            await expect_clean(client, page, {"from": value, "to": value, "limit": value})
    assert store.call(lambda c: c.query(count).result_rows[0][0]) == spans == 300  # nothing dropped or added


async def test_messages_name_the_bad_parameter(client) -> None:
    cases = {
        ("/api/traces", "limit", "abc"): "parameter 'limit' must be an integer",
        ("/api/traces", "trace_id", "xyz"): "parameter 'trace_id' must be 32 hexadecimal characters",
        ("/api/services", "from", "yesterday"): "parameter 'from' must be now, now-<n><s|m|h|d|w>",
        ("/api/services", "from", "now-999999w"): "longer than 400 days",
        ("/api/logs", "level", "LOUD"): "parameter 'level' must be one of",
        ("/api/logs", "q", "a" * 2000): "parameter 'q' is longer than 1024 characters",
        ("/api/metrics/series", "kind", "pie"): "parameter 'kind' must be one of",
        ("/api/traces", "attr", "=x"): "attribute filter '=x' must look like key=value",
    }
    for (path, name, value), message in cases.items():
        res = await client.get(path, params={name: value})
        assert res.status == 400, (path, name)
        assert message in (await res.json())["error"], (path, name)
    res = await client.get("/api/traces/" + "0" * 32)
    assert res.status == 404 and "no trace with this id" in (await res.json())["error"]
    res = await client.get(f"/api/traces/{'0' * 32}/spans/{'0' * 16}")
    assert res.status == 404 and "no span with this id" in (await res.json())["error"]
    res = await client.get(f"/api/traces/{'0' * 32}/spans/xyz")
    assert res.status == 400 and "the span id must be 16 hexadecimal characters" in (await res.json())["error"]
    page = await client.get("/traces/nothex")
    assert page.status == 400 and "32 hexadecimal characters" in await page.text()


async def test_a_megabyte_value_is_refused_not_a_500(client) -> None:
    res = await client.get("/api/logs", params={"q": "x" * 1_000_000})
    assert 400 <= res.status < 500


async def test_unknown_services_give_empty_answers(client) -> None:
    data = await (await client.get("/api/services/nobody")).json()
    assert data["operations"] == [] and data["errors"] == [] and data["callers"] == []
    assert (await (await client.get("/api/logs", params={"service": "nobody"})).json())["lines"] == []


class Recorder:
    """Records the SQL text and parameters a query function sends (a stand-in client for this check only:
    the point is to look at the text, which a real client does not expose)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def query(self, sql: str, parameters: dict):
        self.sent.append((sql, parameters))

        class Empty:
            column_names: tuple = ()
            result_rows: list = []
            result_columns: list = []
            row_count = 0

        return Empty()


def test_no_sql_is_built_from_input() -> None:
    evil = "x'); DROP TABLE t; --"
    w = Window(0, 10**18, 60)
    attrs = (AttrFilter(evil, "=", evil), AttrFilter(evil, "absent"))
    calls = [
        lambda c: services.operation_red(c, "db", w, evil),
        lambda c: services.recent_errors(c, "db", w, evil),
        lambda c: edges.service_edges(c, "db", w, evil),
        lambda c: traces.matching_trace_ids(c, "db", w, traces.TraceQuery(service=evil, operation=evil, attrs=attrs)),
        lambda c: traces.trace_summaries(c, "db", [evil]),
        lambda c: traces.trace_span_columns(c, "db", evil),
        lambda c: traces.span_detail(c, "db", evil, evil),
        lambda c: traces.find_in_trace(c, "db", evil, evil),
        lambda c: logs.search_logs(c, "db", w, logs.LogQuery(services=(evil,), text=evil, attrs=attrs), 10, (1, 2)),
        lambda c: logs.severity_histogram(c, "db", w, logs.LogQuery(text=evil)),
        lambda c: metrics.metric_catalog(c, "db", w, evil),
        lambda c: metrics.value_series(c, "db", w, metrics.MetricQuery(evil, "gauge", attrs, (evil,)), "avg"),
        lambda c: metrics.counter_increase(c, "db", w, metrics.MetricQuery(evil, "sum", attrs, (evil,))),
        lambda c: metrics.histogram_points(c, "db", w, metrics.MetricQuery(evil, "histogram", attrs, (evil,))),
        lambda c: kpi.kpi_points(c, "db", w, kpi.KpiQuery(evil, "sum", attrs, (evil,))),
        lambda c: kpi.kpi_points(c, "db", w, kpi.KpiQuery(evil, "gauge", attrs, (evil,))),
        lambda c: kpi.metrics_with_attribute(c, "db", w, evil, evil),
    ]
    for call in calls:
        rec = Recorder()
        call(rec)
        for sql, _params in rec.sent:
            assert "DROP" not in sql and "x')" not in sql
        # the input went as a bound value (the service map first asks which minutes are rolled: no input)
        with_input = [params for sql, params in rec.sent if "otelhouse_service_edges_rolled" not in sql]
        assert with_input and all(any("DROP" in str(v) for v in params.values()) for params in with_input)
