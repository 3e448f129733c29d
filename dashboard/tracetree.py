"""A trace's spans as a waterfall: tree order and depth, self time, the critical path, time by service.

Pure functions over the columns of storage.queries.traces.trace_span_columns (one list per field, a
span is an index): no dict per span, so a 10,000-span trace takes milliseconds. Iterative, so a
10,000-deep chain of spans is fine.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain
from operator import itemgetter

DERIVED = ("depth", "children", "self_ns", "critical")  # the columns waterfall adds


def _children(ids: list[str], parents: list[str], starts: list[int]) -> tuple[list[int], list[list[int]]]:
    """Return the roots and each span's children, both in (start, span id) order.

    A span whose parent is not stored (or is itself) is a root.
    """
    by_id = {sid: i for i, sid in enumerate(ids)}
    roots: list[int] = []
    kids: list[list[int]] = [[] for _ in ids]
    for i in sorted(range(len(ids)), key=list(zip(starts, ids, strict=True)).__getitem__):
        parent = by_id.get(parents[i]) if parents[i] else None
        (roots if parent is None or parent == i else kids[parent]).append(i)
    return roots, kids


def tree_order(roots: list[int], kids: list[list[int]]) -> tuple[list[int], list[int]]:
    """Return the spans in depth-first order and each span's depth.

    Spans on a parent cycle (reachable from no root) follow as roots of their own, so none is lost.
    """
    order: list[int] = []
    depth = [0] * len(kids)
    seen = bytearray(len(kids))
    for root in chain(roots, range(len(kids))):
        if seen[root]:
            continue
        depth[root] = 0
        stack = [root]
        while stack:
            i = stack.pop()
            if seen[i]:
                continue
            seen[i] = 1
            order.append(i)
            if mine := kids[i]:
                d = depth[i] + 1
                for j in mine:
                    if not seen[j]:
                        depth[j] = d
                stack.extend(reversed(mine))
    return order, depth


def self_times(starts: list[int], ends: list[int], kids: list[list[int]]) -> list[int]:
    """Return each span's time not covered by any of its children (children clipped to the span)."""
    out = [e - s for s, e in zip(starts, ends, strict=True)]
    for i, mine in enumerate(kids):
        if not mine:
            continue
        lo, hi = starts[i], ends[i]
        covered, cur_a, cur_b = 0, 0, None
        for j in mine:  # in start order, so the clipped starts are in order too
            a, b = max(starts[j], lo), min(ends[j], hi)
            if b <= a:
                continue
            if cur_b is None or a > cur_b:
                if cur_b is not None:
                    covered += cur_b - cur_a
                cur_a, cur_b = a, b
            elif b > cur_b:
                cur_b = b
        if cur_b is not None:
            covered += cur_b - cur_a
        out[i] -= covered
    return out


def critical_path(starts: list[int], ends: list[int], kids: list[list[int]], root: int) -> set[int]:
    """Return the spans on the critical path under `root`: walking back from the end, the child last to finish."""
    path: set[int] = set()
    stack = [(root, ends[root])]
    while stack:
        i, cursor = stack.pop()
        path.add(i)
        start = starts[i]
        for j in sorted(kids[i], key=ends.__getitem__, reverse=True):
            if j in path or starts[j] >= cursor or ends[j] <= start:
                continue
            stack.append((j, min(ends[j], cursor)))
            cursor = starts[j]
            if cursor <= start:
                break
    return path


def waterfall(cols: dict[str, list]) -> dict:
    """Return the span columns in tree order with depth, child count, self time and critical flag, plus totals.

    `cols` needs span_id, parent_id, start_ns, duration_ns and service; every other column is carried
    along in the same order.
    """
    ids, starts, durations = cols["span_id"], cols["start_ns"], cols["duration_ns"]
    if not ids:
        return {"spans": {k: [] for k in (*cols, *DERIVED)}, "services": [], "start_ns": 0, "duration_ns": 0}
    ends = [s + d for s, d in zip(starts, durations, strict=True)]
    roots, kids = _children(ids, cols["parent_id"], starts)
    order, depth = tree_order(roots, kids)
    own = self_times(starts, ends, kids)
    critical = critical_path(starts, ends, kids, max(roots or order[:1], key=durations.__getitem__))
    by_service: dict[str, int] = defaultdict(int)
    for service, t in zip(cols["service"], own, strict=True):
        by_service[service] += t
    take = itemgetter(*order) if len(order) > 1 else (lambda col: (col[order[0]],))
    derived = {
        "depth": depth,
        "children": [len(k) for k in kids],
        "self_ns": own,
        "critical": [i in critical for i in range(len(ids))],
    }
    start = min(starts)
    return {
        "spans": {k: list(take(col)) for k, col in {**cols, **derived}.items()},
        "start_ns": start,
        "duration_ns": max(ends) - start,
        "services": [{"service": k, "self_ns": v} for k, v in sorted(by_service.items(), key=lambda kv: -kv[1])],
    }
