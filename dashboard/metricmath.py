"""Histogram arithmetic for the metrics explorer: per-step increases with resets, merging, quantiles.

Pure functions over the rows storage.queries.metrics.histogram_points returns.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

# A distribution: (lower, upper] -> count. Explicit histograms key by their bounds; exponential ones
# are kept as (scale, zero count, positive index -> count, negative index -> count) until the end.
Dist = dict[tuple[float, float], float]
NICE_STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def choose_step(seconds: float, points: int = 200) -> int:
    """Return the smallest nice step that draws the range in at most `points` points."""
    for step in NICE_STEPS:
        if seconds / step <= points:
            return step
    return NICE_STEPS[-1] * math.ceil(seconds / points / NICE_STEPS[-1])


def explicit_dist(bounds: list[float], counts: list[int]) -> Dist:
    """Turn explicit bucket counts into (lower, upper] intervals; the first lower is 0 when bound > 0."""
    edges = [-math.inf, *bounds, math.inf]
    if bounds and bounds[0] > 0:
        edges[0] = 0.0
    return {(edges[i], edges[i + 1]): float(c) for i, c in enumerate(counts[: len(edges) - 1]) if c}


def _downscale(buckets: dict[int, float], by: int) -> dict[int, float]:
    out: dict[int, float] = defaultdict(float)
    for idx, n in buckets.items():
        out[idx >> by] += n
    return dict(out)


class Expo:
    """An exponential histogram's buckets at one scale (index i covers (base^i, base^(i+1)])."""

    def __init__(self, scale: int, zero: float, pos: dict[int, float], neg: dict[int, float]) -> None:
        self.scale, self.zero, self.pos, self.neg = scale, zero, pos, neg

    @classmethod
    def of(cls, r: dict) -> Expo:
        pos = {r["PositiveOffset"] + i: float(n) for i, n in enumerate(r["PositiveBucketCounts"]) if n}
        neg = {r["NegativeOffset"] + i: float(n) for i, n in enumerate(r["NegativeBucketCounts"]) if n}
        return cls(r["Scale"], float(r["ZeroCount"]), pos, neg)

    def at(self, scale: int) -> Expo:
        by = self.scale - scale
        return Expo(scale, self.zero, _downscale(self.pos, by), _downscale(self.neg, by)) if by else self

    def combine(self, other: Expo, sign: float) -> Expo:
        """Return self + sign * other at the coarser of the two scales."""
        scale = min(self.scale, other.scale)
        a, b = self.at(scale), other.at(scale)
        pos, neg = dict(a.pos), dict(a.neg)
        for idx, n in b.pos.items():
            pos[idx] = pos.get(idx, 0.0) + sign * n
        for idx, n in b.neg.items():
            neg[idx] = neg.get(idx, 0.0) + sign * n
        return Expo(scale, a.zero + sign * b.zero, pos, neg)

    def dist(self) -> Dist:
        base = 2.0 ** (2.0**-self.scale)
        out: Dist = {(base**i, base ** (i + 1)): n for i, n in self.pos.items() if n}
        out.update({(-(base ** (i + 1)), -(base**i)): n for i, n in self.neg.items() if n})
        if self.zero:
            out[(0.0, 0.0)] = self.zero
        return out


def _point(kind: str, r: dict) -> tuple[list[float], Expo | None]:
    if kind == "histogram":
        return [float(n) for n in r["BucketCounts"]], None
    return [], Expo.of(r)


def _is_reset(r: dict, prev: dict) -> bool:
    return r["start_ns"] != prev["start_ns"] or r["count"] < prev["count"]


def step_increases(kind: str, points: Iterable[dict], start_ns: int, fetch_start_ns: int) -> dict[tuple, Dist]:
    """Return the distribution of new observations per (group, step) summed over series.

    Delta points count as they are; a cumulative point counts its difference from the series' previous
    point, or all of itself after a reset or when the series started inside the fetched range.
    """
    out: dict[tuple, Dist] = defaultdict(lambda: defaultdict(float))
    prev: dict[int, dict] = {}
    for r in points:
        last = prev.get(r["s"])
        prev[r["s"]] = r
        if r["temporality"] != 1:
            if last is None and r["start_ns"] < fetch_start_ns:
                continue  # a baseline: what came before the range is unknown
            if last is not None and not _is_reset(r, last):
                r = _minus(kind, r, last)
        if r["ts_ns"] < start_ns:
            continue
        counts, expo = _point(kind, r)
        dist = explicit_dist(list(r["ExplicitBounds"]), counts) if expo is None else expo.dist()
        bucket = out[(tuple(r["g"]), r["t"])]
        for key, n in dist.items():
            bucket[key] += n
    return {k: dict(v) for k, v in out.items()}


def _minus(kind: str, r: dict, prev: dict) -> dict:
    """Return r with prev's counts taken away (same series, no reset between)."""
    if kind == "histogram":
        counts = [a - b for a, b in zip(r["BucketCounts"], prev["BucketCounts"], strict=False)]
        return {**r, "BucketCounts": counts}
    d = Expo.of(r).combine(Expo.of(prev), -1.0)
    return {
        **r,
        "Scale": d.scale,
        "ZeroCount": d.zero,
        **_dense("Positive", d.pos),
        **_dense("Negative", d.neg),
    }


def _dense(side: str, buckets: dict[int, float]) -> dict:
    if not buckets:
        return {f"{side}Offset": 0, f"{side}BucketCounts": []}
    lo, hi = min(buckets), max(buckets)
    return {f"{side}Offset": lo, f"{side}BucketCounts": [buckets.get(i, 0.0) for i in range(lo, hi + 1)]}


def quantile(dist: Dist, q: float) -> float | None:
    """Return the q-quantile, interpolating linearly inside the bucket that holds the rank.

    As Prometheus does: a rank in the open-ended top bucket gives that bucket's lower bound.
    """
    intervals = sorted((k, n) for k, n in dist.items() if n > 0)
    total = sum(n for _, n in intervals)
    if total <= 0:
        return None
    rank, seen = q * total, 0.0
    for (lower, upper), n in intervals:
        if seen + n >= rank:
            if math.isinf(upper):
                return lower
            if math.isinf(lower):
                return upper
            return lower + (upper - lower) * (rank - seen) / n
        seen += n
    return intervals[-1][0][1]
