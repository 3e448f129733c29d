"""The numbers each page shows, against values computed here from what the SDK recorded and sent."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections import Counter

from opentelemetry.trace import SpanKind, StatusCode

from tests.dashboard.conftest import World
from tests.dashboard.seed import entry_spans

NS = 1_000_000_000


def get(base: str, path: str, **params) -> dict:
    url = f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
    with urllib.request.urlopen(url, timeout=60) as res:
        return json.loads(res.read())


def window(world: World) -> dict:
    return {"from": str(world.seeded.start_ns // 1_000_000), "to": str(world.seeded.end_ns // 1_000_000 + 1)}


def linear_quantile(values: list[int], q: float) -> float:
    """Quantile with linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def test_services_p95_and_error_rate_equal_the_seeded_spans(world: World, dashboard_url: str) -> None:
    data = get(dashboard_url, "/api/services", **window(world))
    by_name = {s["name"]: s for s in data["services"]}
    assert set(by_name) == {"frontend", "cart", "payments"}
    for name, row in by_name.items():
        spans = entry_spans(world.seeded, name)
        durations = [s.end_time - s.start_time for s in spans]
        errors = sum(1 for s in spans if s.status.status_code == StatusCode.ERROR)
        assert row["calls"] == len(spans) == 60
        assert row["errors"] == errors
        assert row["error_rate"] == errors / len(spans)
        assert abs(row["p95_ns"] - linear_quantile(durations, 0.95)) <= 1
        assert abs(row["p50_ns"] - linear_quantile(durations, 0.5)) <= 1
        assert abs(row["p99_ns"] - linear_quantile(durations, 0.99)) <= 1
        assert sum(p["calls"] for p in row["spark"]) == len(spans)
    assert by_name["payments"]["errors"] == 9  # every 7th request of 60 (i % 7 == 3)


def expected_edges(world: World) -> dict[tuple[str, str], tuple[int, int]]:
    by_id = {s.context.span_id: s for s in world.seeded.spans}
    edges: Counter = Counter()
    errors: Counter = Counter()
    for child in world.seeded.spans:
        parent = by_id.get(child.parent.span_id) if child.parent else None
        if parent is None or child.kind != SpanKind.SERVER or parent.kind != SpanKind.CLIENT:
            continue
        key = (parent.resource.attributes["service.name"], child.resource.attributes["service.name"])
        if key[0] == key[1]:
            continue
        edges[key] += 1
        if StatusCode.ERROR in (parent.status.status_code, child.status.status_code):
            errors[key] += 1
    return {k: (n, errors[k]) for k, n in edges.items()}


def test_service_map_edges_follow_parent_child_spans_across_services(world: World, dashboard_url: str) -> None:
    data = get(dashboard_url, "/api/map", **window(world))
    got = {(e["caller"], e["callee"]): (e["calls"], e["errors"]) for e in data["edges"]}
    assert got == expected_edges(world) == {("frontend", "cart"): (60, 0), ("cart", "payments"): (60, 9)}
    assert {n["name"] for n in data["nodes"]} == {"frontend", "cart", "payments"}


def test_service_page_figures(world: World, dashboard_url: str) -> None:
    data = get(dashboard_url, "/api/services/payments", **window(world))
    (op,) = data["operations"]
    assert (op["name"], op["calls"], op["errors"]) == ("charge", 60, 9)
    assert [(e["caller"], e["calls"], e["errors"]) for e in data["callers"]] == [("cart", 60, 9)]
    assert data["callees"] == []
    (err,) = data["errors"]
    assert (err["type"], err["n"]) == ("TimeoutError", 9)
    assert err["message"] == "card network timeout after 3000 ms"
    assert sum(h["n"] for h in data["heatmap"]) == 60
    durations = sorted((s.end_time - s.start_time for s in entry_spans(world.seeded, "payments")), reverse=True)
    assert [s["duration_ns"] for s in data["slowest"]] == durations[:20]


def test_trace_search_and_trace_view(world: World, dashboard_url: str) -> None:
    found = get(dashboard_url, "/api/traces", service="payments", status="Error", **window(world))["traces"]
    pays = entry_spans(world.seeded, "payments")
    failed = {f"{s.context.trace_id:032x}" for s in pays if s.status.status_code == StatusCode.ERROR}
    assert {t["trace_id"] for t in found} == failed
    assert all(t["spans"] == 5 and t["errors"] == 2 for t in found)
    assert all(t["services"] == ["cart", "frontend", "payments"] for t in found)
    assert all(t["root"] == "GET /checkout" for t in found)

    by_attr = get(dashboard_url, "/api/traces", attr="user=u3", **window(world))["traces"]
    assert len(by_attr) == 12  # 60 requests, user u{i % 5}
    by_resource = get(dashboard_url, "/api/traces", attr=["deployment.environment=test", "!nope"], **window(world))
    assert len(by_resource["traces"]) == 50  # the default limit
    slow = get(dashboard_url, "/api/traces", service="frontend", min_ms=300, **window(world))["traces"]
    roots = [s for s in world.seeded.spans if s.parent is None and s.end_time - s.start_time >= 300 * 10**6]
    assert {t["trace_id"] for t in slow} == {f"{s.context.trace_id:032x}" for s in roots}

    trace_id = sorted(failed)[0]
    t = get(dashboard_url, f"/api/traces/{trace_id}")
    mine = [s for s in world.seeded.spans if f"{s.context.trace_id:032x}" == trace_id]
    cols = t["spans"]  # one array per field, a span being an index in tree order
    assert len(cols["span_id"]) == len(mine) == 5
    assert set(cols) >= {"span_id", "parent_id", "name", "service", "start_ns", "duration_ns", "status", "self_ns"}
    assert cols["depth"] == [0, 1, 2, 3, 4]  # a chain: frontend -> ... -> payments
    assert cols["parent_id"][1:] == cols["span_id"][:-1]
    assert all(cols["critical"])
    root = max(mine, key=lambda s: s.end_time - s.start_time)
    assert t["duration_ns"] == root.end_time - root.start_time
    assert sum(s["self_ns"] for s in t["services"]) == t["duration_ns"]
    pay_id = cols["span_id"][cols["service"].index("payments")]
    pay = get(dashboard_url, f"/api/traces/{trace_id}/spans/{pay_id}")  # a span's details, fetched when opened
    seeded = next(s for s in mine if f"{s.context.span_id:016x}" == pay_id)
    assert pay["attributes"] == dict(seeded.attributes)
    assert pay["resource"]["service.name"] == "payments"
    assert [e["name"] for e in pay["events"]] == ["exception"]
    assert pay["events"][0]["time_ns"] == seeded.events[0].timestamp
    assert "TimeoutError" in pay["events"][0]["attributes"]["exception.stacktrace"]
    assert pay["status_message"] == "card network timeout"
    find = f"/api/traces/{trace_id}/find"
    assert get(dashboard_url, find, q="PAYMENTS")["span_ids"] == [pay_id]  # a service, in any case
    user = root.attributes["user"]  # an attribute value: only the root has it
    assert get(dashboard_url, find, q=user)["span_ids"] == [f"{root.context.span_id:016x}"]
    assert get(dashboard_url, find, q="")["span_ids"] == []


def test_log_histogram_counts_and_cursor_paging(world: World, dashboard_url: str) -> None:
    w = {**window(world), "step": "60"}
    data = get(dashboard_url, "/api/logs/histogram", **w)
    names = {5: "DEBUG", 9: "INFO", 13: "WARN", 17: "ERROR"}
    expected = Counter(((ts // NS) // 60 * 60, names[number]) for ts, _s, number, _b, _t in world.seeded.logs)
    assert Counter({(b["t"], b["level"]): b["n"] for b in data["buckets"]}) == expected

    only = get(dashboard_url, "/api/logs/histogram", level=["warn", "ERROR"], service="cart", **w)
    want = sum(1 for _ts, s, n, _b, _t in world.seeded.logs if s == "cart" and n >= 13)
    assert sum(b["n"] for b in only["buckets"]) == want

    seen, cursor = [], None
    for _ in range(10):
        page = get(dashboard_url, "/api/logs", limit=40, **({"cursor": cursor} if cursor else {}), **window(world))
        seen += page["lines"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(world.seeded.logs) == 150
    assert [line["ts_ns"] for line in seen] == sorted((ts for ts, *_ in world.seeded.logs), reverse=True)
    assert len({line["cursor"] for line in seen}) == 150


def test_log_text_attribute_trace_filters_and_context(world: World, dashboard_url: str) -> None:
    hits = get(dashboard_url, "/api/logs", q="TIMEOUT user-0", limit=500, **window(world))["lines"]
    want = [b for _ts, _s, _n, b, _t in world.seeded.logs if "timeout" in b and "user-0" in b]
    assert sorted(h["body"] for h in hits) == sorted(want) and want
    eu = get(dashboard_url, "/api/logs", attr=["region=eu", "request.id"], limit=500, **window(world))["lines"]
    assert len(eu) == 75 and all(h["attributes"]["region"] == "eu" for h in eu)
    not_eu = get(dashboard_url, "/api/logs", attr="region!=eu", limit=500, **window(world))["lines"]
    assert len(not_eu) == 75
    traced = [t for *_x, t in world.seeded.logs if t]
    by_trace = get(dashboard_url, "/api/logs", trace_id=traced[0], **window(world))["lines"]
    assert [h["trace_id"] for h in by_trace] == [traced[0]]

    cart = sorted((ts, b) for ts, s, _n, b, _t in world.seeded.logs if s == "cart")
    middle = get(dashboard_url, "/api/logs", service="cart", limit=25, **window(world))["lines"][-1]
    ctx = get(dashboard_url, "/api/logs/context", service="cart", cursor=middle["cursor"], n=3)
    i = cart.index((middle["ts_ns"], middle["body"]))
    assert [x["body"] for x in ctx["before"]] == [b for _t, b in cart[i - 3 : i]]
    assert [x["body"] for x in ctx["after"]] == [b for _t, b in cart[i + 1 : i + 4]]
