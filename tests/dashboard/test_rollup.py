"""The services list's ten-minute rollup: its arithmetic, the job's plan, and the list read from it.

The integration tests seed the three-service scenario through a live collector into a database of
their own, run the job, and compare the list read from the rollup with the exact figures from the
seeded spans: counts equal, quantiles within the histogram's 2.2%.
"""

from __future__ import annotations

import math
import random
import time

import pytest

from dashboard.edge_job import roll_due
from storage.queries import red
from storage.queries import services as qs
from storage.queries.common import NS, Window
from storage.queries.red import SLOT_S, Coverage
from tests.dashboard.conftest import live_database
from tests.dashboard.seed import entry_spans, seed_traces
from tests.dashboard.test_api_numbers import linear_quantile

TOLERANCE = 2 ** (1 / 32) - 1  # half a bucket: the most a bucket's middle is off any value in it


def bucketed(values: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for v in values:
        k = round(math.log2(max(v, 1)) * red.BUCKETS_PER_OCTAVE)
        out[k] = out.get(k, 0) + 1
    return out


@pytest.mark.parametrize("seed", range(5))
def test_quantiles_from_buckets_are_within_half_a_bucket_of_the_exact_ones(seed: int) -> None:
    rnd = random.Random(seed)
    values = [int(rnd.lognormvariate(17, 1.5)) for _ in range(rnd.randint(1, 3000))]
    got = red.quantiles_from_buckets(bucketed(values), (0.5, 0.95, 0.99, 0.0, 1.0))
    for q, estimate in zip((0.5, 0.95, 0.99, 0.0, 1.0), got, strict=True):
        exact = linear_quantile(values, q)
        assert estimate is not None
        assert abs(estimate - exact) <= TOLERANCE * exact + 1


def test_quantiles_of_nothing_are_none() -> None:
    assert red.quantiles_from_buckets({}, (0.5,)) == [None]
    assert red.quantiles_from_buckets({3: 0}, (0.5, 0.9)) == [None, None]


def test_whole_slots_keep_only_covered_slots_wholly_inside_the_window() -> None:
    cov = Coverage(0, 100 * SLOT_S)
    assert red.whole_slots(10 * SLOT_S * NS, 20 * SLOT_S * NS, cov) == (10 * SLOT_S, 20 * SLOT_S)
    # unaligned edges leave their partial slots to the raw spans
    assert red.whole_slots(10 * SLOT_S * NS + 1, 20 * SLOT_S * NS - 1, cov) == (11 * SLOT_S, 19 * SLOT_S)
    # coverage clips, and no covered slot inside gives an empty range
    assert red.whole_slots(90 * SLOT_S * NS, 200 * SLOT_S * NS, cov) == (90 * SLOT_S, 100 * SLOT_S)
    lo, hi = red.whole_slots(150 * SLOT_S * NS, 200 * SLOT_S * NS, cov)
    assert lo == hi
    lo, hi = red.whole_slots(5 * SLOT_S * NS + 1, 6 * SLOT_S * NS - 1, cov)
    assert lo == hi


def test_whole_rolled_run_is_the_newest_run_of_slots_with_every_minute_rolled() -> None:
    minute = 60 * NS
    slot = SLOT_S * NS
    whole = [10 * slot + i * minute for i in range(30)]  # slots 10, 11 and 12
    assert red.whole_rolled_run(whole) == Coverage(10 * SLOT_S, 13 * SLOT_S)
    # slot 13 lacks a minute; slot 9 is cut off from the newest run by the gap at slot 8
    assert red.whole_rolled_run(whole + [13 * slot] + [9 * slot + i * minute for i in range(10)]) == Coverage(
        9 * SLOT_S, 13 * SLOT_S
    )
    assert red.whole_rolled_run([7 * slot + i * minute for i in range(10)] + whole) == Coverage(
        10 * SLOT_S, 13 * SLOT_S
    )
    assert red.whole_rolled_run(whole[:9]) is None


def test_the_services_list_from_the_rollup_equals_the_seeded_spans(engine, chdb_path) -> None:
    with live_database(engine, chdb_path) as (store, _settings, live):
        seeded = seed_traces(live.http_url)
        live.wait_stored()
        db = store.database
        now = time.time_ns()
        w = Window(now - 3 * 3600 * NS, now + NS, 60)
        assert red.uses_rollup(w)
        assert store.call(lambda c: red.coverage(c, db, w.start_ns, w.end_ns)) is None
        raw = {r["name"]: r for r in store.call(lambda c: qs.service_red(c, db, w))}

        roll_due(store, time.time_ns())
        cov = store.call(lambda c: red.coverage(c, db, w.start_ns, w.end_ns))
        # the job rolls from the first span's minute: its slot's earlier minutes are not marked, so it stays raw
        assert cov is not None and cov.from_s * NS <= seeded.start_ns + SLOT_S * NS
        rolled = store.call(lambda c: c.query(f"SELECT sum(Calls) FROM {db}.otelhouse_service_red").result_rows)
        assert rolled[0][0] > 0  # the rollup answers for some of the seeded spans, raw spans for the rest

        got = {r["name"]: r for r in store.call(lambda c: qs.service_red(c, db, w))}
        spark = store.call(lambda c: qs.service_counts(c, db, w))
        assert set(got) == set(raw) == {"frontend", "cart", "payments"}
        for name, row in got.items():
            spans = entry_spans(seeded, name)
            durations = [s.end_time - s.start_time for s in spans]
            assert row["calls"] == raw[name]["calls"] == len(spans)
            assert row["errors"] == raw[name]["errors"]
            assert sum(p["calls"] for p in spark if p["name"] == name) == len(spans)
            assert sum(p["errors"] for p in spark if p["name"] == name) == row["errors"]
            for key, q in (("p50_ns", 0.5), ("p95_ns", 0.95), ("p99_ns", 0.99)):
                exact = linear_quantile(durations, q)
                assert raw[name][key] == pytest.approx(exact, abs=1)
                assert abs(row[key] - exact) <= TOLERANCE * exact


def test_a_late_span_in_a_rolled_slot_is_counted_by_the_next_run(engine, chdb_path) -> None:
    with live_database(engine, chdb_path) as (store, _settings, live):
        seeded = seed_traces(live.http_url, requests=6)
        live.wait_stored()
        db = store.database
        roll_due(store, time.time_ns())
        now = time.time_ns()
        w = Window(now - 3 * 3600 * NS, now + NS, 60)
        cov = store.call(lambda c: red.coverage(c, db, w.start_ns, w.end_ns))
        before = {r["name"]: r["calls"] for r in store.call(lambda c: qs.service_red(c, db, w))}

        late = seed_traces(live.http_url, requests=1, at_ns=(cov.to_s - SLOT_S) * NS + NS)
        live.wait_stored()
        assert late.start_ns < cov.to_s * NS  # inside a slot the rollup already covers
        roll_due(store, time.time_ns())
        after = {r["name"]: r["calls"] for r in store.call(lambda c: qs.service_red(c, db, w))}
        assert after == {name: n + 1 for name, n in before.items()}
        assert sum(before.values()) == sum(len(entry_spans(seeded, n)) for n in before)
