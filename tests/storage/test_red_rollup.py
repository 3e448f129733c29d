"""The per-minute RED rollup: figures read through it equal those computed from the spans themselves."""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Store, schema_options
from storage.queries import services as qs
from storage.queries.common import NS, Window
from tests.conftest import make_settings

BASE_S = 1_790_000_040  # a whole minute
SERVICES = ("api", "db")
NAMES = ("GET /a", "POST /b")


def linear_quantile(values: list[int], q: float) -> float:
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@pytest.fixture(autouse=True)
def rollups_for_short_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the rollups for these windows of minutes too (the pages do from two hours on)."""
    monkeypatch.setattr(qs, "ROLLUP_MIN_NS", 0)


@pytest.fixture(scope="module")
def store(engine: Store, chdb_path: Path) -> Iterator[Store]:
    """One migrated database for the module: the tests only read what `spans` wrote."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    store = Store(engine.target, schema_options(make_settings(chdb_path, database), database))
    store.migrate()
    yield store
    store.call(lambda c: c.command(f"DROP DATABASE IF EXISTS {database}"))
    store.close()


@pytest.fixture(scope="module")
def spans(store: Store) -> list[tuple]:
    """Insert spans over 40 minutes in several inserts (so the rollups hold unmerged rows); return them."""
    rng = random.Random(7)
    out = []
    for i in range(4800):
        ts_ns = BASE_S * NS + rng.randrange(40 * 60 * NS)
        kind = ("Server", "Consumer", "Client", "Internal")[i % 4]
        out.append((ts_ns, SERVICES[i % 2], NAMES[(i // 2) % 2], kind, rng.randrange(1, 10**9), i % 7 == 0))
    columns = ["Timestamp", "ServiceName", "SpanName", "SpanKind", "Duration", "StatusCode", "TraceId", "SpanId"]
    for part in range(4):
        data = [
            [datetime.fromtimestamp(t / NS, UTC), s, n, k, d, "Error" if e else "Unset", f"{j:032x}", f"{j:016x}"]
            for j, (t, s, n, k, d, e) in enumerate(out)
            if j % 4 == part
        ]
        store.call(lambda c, d=data: c.insert(f"{store.database}.otel_traces", d, column_names=columns))
    for table in ("otel_traces_red_minute", "otel_traces_red_10m"):
        rolled = store.call(lambda c, t=table: c.query(f"SELECT count() FROM {store.database}.{t}"))
        assert rolled.result_rows[0][0] > 0
    return out


def entries(spans: list[tuple], lo: int, hi: int, key) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = defaultdict(list)
    for s in spans:
        if s[3] in ("Server", "Consumer") and lo <= s[0] < hi:
            out[key(s)].append(s)
    return out


def assert_red(got: dict, want: list[tuple], seconds: float) -> None:
    durations = [s[4] for s in want]
    assert got["calls"] == len(want)
    assert got["errors"] == sum(s[5] for s in want)
    assert got["rate"] == len(want) / seconds
    for field, q in (("p50_ns", 0.5), ("p95_ns", 0.95), ("p99_ns", 0.99)):
        assert abs(got[field] - linear_quantile(durations, q)) <= 1, field


# windows cut mid-minute over whole ten-minute units (both rollups serve parts), cut mid-minute,
# on whole minutes, and inside one minute
WINDOWS = [
    (BASE_S * NS + 1000 * NS + 123_456_789, BASE_S * NS + 2300 * NS + 987),
    (BASE_S * NS + 400 * NS + 123_456_789, BASE_S * NS + 700 * NS + 987),
    (BASE_S * NS + 360 * NS, BASE_S * NS + 720 * NS),
    (BASE_S * NS + 610 * NS, BASE_S * NS + 650 * NS),
]


@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_service_and_operation_red_equal_the_spans(store: Store, spans: list[tuple], start: int, end: int) -> None:
    w = Window(start, end, 60)
    prev = w.previous()
    seconds = (end - start) / 1e9
    cur = entries(spans, start, end, lambda s: s[1])
    before = entries(spans, prev.start_ns, prev.end_ns, lambda s: s[1])
    got = store.call(lambda c: qs.service_red(c, store.database, w))
    assert [g["name"] for g in got] == sorted(set(cur) | set(before))
    for g in got:
        assert_red(g, cur[g["name"]], seconds)
        assert g["prev"]["calls"] == len(before[g["name"]])
        p95 = linear_quantile([s[4] for s in before[g["name"]]], 0.95)
        assert abs(g["prev"]["p95_ns"] - p95) <= 1
    ops = store.call(lambda c: qs.operation_red(c, store.database, w, "api"))
    by_op = entries([s for s in spans if s[1] == "api"], start, end, lambda s: s[2])
    assert [o["name"] for o in ops] == sorted(by_op)
    for o in ops:
        assert_red(o, by_op[o["name"]], seconds)


@pytest.mark.parametrize("step", [30, 60, 120, 600])
@pytest.mark.parametrize(("start", "end"), WINDOWS[:3])
def test_sparklines_and_heatmap_equal_the_spans(
    store: Store, spans: list[tuple], start: int, end: int, step: int
) -> None:
    w = Window(start, end, step)
    api = [s for s in entries(spans, start, end, lambda s: s[1])["api"]]
    by_step: dict[int, list[tuple]] = defaultdict(list)
    for s in api:
        by_step[s[0] // NS // step * step].append(s)
    every = store.call(lambda c: qs.service_sparklines(c, store.database, w))  # through the rollups
    got = [p for p in every if p["name"] == "api"]
    assert got == store.call(lambda c: qs.service_sparklines(c, store.database, w, service="api"))
    assert [p["t"] for p in got] == sorted(by_step)
    for p in got:
        want = by_step[p["t"]]
        assert (p["calls"], p["errors"]) == (len(want), sum(s[5] for s in want))
        assert abs(p["p95_ns"] - linear_quantile([s[4] for s in want], 0.95)) <= 1
    heat = store.call(lambda c: qs.latency_heatmap(c, store.database, w, "api"))
    want_heat = Counter((s[0] // NS // step * step, 2 ** math.ceil(math.log2(s[4]))) for s in api)
    assert {(h["t"], h["le_ns"]): h["n"] for h in heat} == want_heat
