"""A trace's spans as a waterfall: tree order and depth, self time, the critical path, time by service.

Pure functions over the rows of storage.queries.traces.trace_spans; iterative, so a 10,000-deep
chain of spans is fine.
"""

from __future__ import annotations

from collections import defaultdict


def _children(spans: list[dict]) -> tuple[list[int], dict[int, list[int]]]:
    by_id = {s["span_id"]: i for i, s in enumerate(spans)}
    roots: list[int] = []
    kids: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(spans):
        parent = by_id.get(s["parent_id"]) if s["parent_id"] else None
        (roots if parent is None or parent == i else kids[parent]).append(i)
    for lst in kids.values():
        lst.sort(key=lambda j: (spans[j]["start_ns"], spans[j]["span_id"]))
    roots.sort(key=lambda j: (spans[j]["start_ns"], spans[j]["span_id"]))
    return roots, kids


def _end(s: dict) -> int:
    return s["start_ns"] + s["duration_ns"]


def self_time(span: dict, children: list[dict]) -> int:
    """Return the span's time not covered by any of its children (clipped to the span)."""
    lo, hi = span["start_ns"], _end(span)
    covered, cur_start, cur_end = 0, None, None
    for c in sorted(children, key=lambda c: c["start_ns"]):
        a, b = max(c["start_ns"], lo), min(_end(c), hi)
        if b <= a:
            continue
        if cur_end is None or a > cur_end:
            if cur_end is not None:
                covered += cur_end - cur_start
            cur_start, cur_end = a, b
        else:
            cur_end = max(cur_end, b)
    if cur_end is not None:
        covered += cur_end - cur_start
    return span["duration_ns"] - covered


def critical_path(spans: list[dict], root: int, kids: dict[int, list[int]]) -> set[int]:
    """Return the spans on the critical path under `root`: walking back from the end, the child last to finish."""
    path: set[int] = set()
    stack = [(root, _end(spans[root]))]
    while stack:
        i, cursor = stack.pop()
        path.add(i)
        start = spans[i]["start_ns"]
        for j in sorted(kids.get(i, []), key=lambda j: _end(spans[j]), reverse=True):
            if spans[j]["start_ns"] >= cursor or _end(spans[j]) <= start:
                continue
            stack.append((j, min(_end(spans[j]), cursor)))
            cursor = spans[j]["start_ns"]
            if cursor <= start:
                break
    return path


def waterfall(spans: list[dict]) -> dict:
    """Return spans in tree order with depth, child count, self time and critical flag, plus totals.

    Each span's `resource` becomes an index into the returned `resources` (updates the span dicts).
    """
    if not spans:
        return {"spans": [], "resources": [], "services": [], "start_ns": 0, "duration_ns": 0}
    roots, kids = _children(spans)
    critical: set[int] = set()
    longest = max(roots, key=lambda r: spans[r]["duration_ns"])
    critical |= critical_path(spans, longest, kids)
    order: list[tuple[int, int]] = []
    stack = [(r, 0) for r in reversed(roots)]
    while stack:
        i, depth = stack.pop()
        order.append((i, depth))
        stack.extend((j, depth + 1) for j in reversed(kids.get(i, [])))
    by_service: dict[str, int] = defaultdict(int)
    resources: dict[str, int] = {}  # spans of a service share one resource: send each once
    resource_list: list[dict] = []
    out = []
    for i, depth in order:
        s = spans[i]
        own = self_time(s, [spans[j] for j in kids.get(i, [])])
        by_service[s["service"]] += own
        key = repr(sorted(s["resource"].items()))
        if key not in resources:
            resources[key] = len(resource_list)
            resource_list.append(s["resource"])
        s["resource"] = resources[key]
        s.update(depth=depth, children=len(kids.get(i, [])), self_ns=own, critical=i in critical)
        out.append(s)
    start = min(s["start_ns"] for s in spans)
    end = max(_end(s) for s in spans)
    services = sorted(by_service.items(), key=lambda kv: -kv[1])
    return {
        "spans": out,
        "resources": resource_list,
        "start_ns": start,
        "duration_ns": end - start,
        "services": [{"service": k, "self_ns": v} for k, v in services],
    }
