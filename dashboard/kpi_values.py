"""KPI arithmetic: pure functions from per-step points ({t, g, value}) to tiles, series, breakdowns and funnels,
and each panel's figures as one table (columns and rows) for CSV and JSON."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime

from otelhouse.stakeholders import Panel

Points = list[dict]


def total(points: Points, panel: Panel, seconds: float) -> float | None:
    """Return the panel's one number over the range, or None when no point fell in it.

    A counter's increases add up (a rate divides by the range); a gauge's per-step values (summed over
    series) are reduced by the aggregation: the last step's, their mean, minimum or maximum.
    """
    if not points:
        return None
    if panel.kind == "counter":
        increase = sum(p["value"] for p in points)
        return increase / seconds if panel.aggregation == "rate" else increase
    per_step: dict[int, float] = defaultdict(float)
    for p in points:
        per_step[p["t"]] += p["value"]
    values = [per_step[t] for t in sorted(per_step)]
    reduce = {"last": lambda v: v[-1], "avg": lambda v: sum(v) / len(v), "min": min, "max": max}
    return reduce[panel.aggregation](values)


def change(current: float | None, previous: float | None) -> float | None:
    """Return the relative change against the previous period, or None when there is nothing to compare."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


def ratio(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


def tile(current: Points, previous: Points, panel: Panel, seconds: float) -> dict:
    """Return a tile: value, the previous period's, the change, and progress towards the target."""
    value, before = total(current, panel, seconds), total(previous, panel, seconds)
    return {
        "value": value,
        "previous": before,
        "change": change(value, before),
        "target": panel.target,
        "progress": ratio(value, panel.target),
    }


def _by_group(points: Points) -> dict[tuple, Points]:
    out: dict[tuple, Points] = defaultdict(list)
    for p in points:
        out[tuple(p["g"])].append(p)
    return out


def steps(start_s: float, end_s: float, step_s: int) -> range:
    """Return the starts of the steps that overlap [start_s, end_s), aligned as the queries align them."""
    return range(int(start_s) // step_s * step_s, math.ceil(end_s), step_s)


def series(points: Points, panel: Panel, all_steps: range) -> list[dict]:
    """Return one series per group, oldest step first; the largest groups come first (at most `limit`).

    A counter's step without points counted nothing, so it reads 0 (a delta exporter sends nothing
    then); a gauge's stays a gap, since its value there is unknown.
    """
    groups = _by_group(points)
    ranked = sorted(groups, key=lambda g: (-sum(p["value"] for p in groups[g]), g))[: panel.limit]
    out = []
    for g in ranked:
        values = {p["t"]: p["value"] for p in groups[g]}
        times = all_steps if panel.kind == "counter" else sorted(values)
        out.append({"group": list(g), "points": [{"t": t, "value": values.get(t, 0.0)} for t in times]})
    return out


def breakdown(current: Points, previous: Points, panel: Panel, seconds: float) -> list[dict]:
    """Return one row per group: value, previous period's, change and share of all groups (of the row's
    currency when money is grouped by currency), largest first."""
    now, before = _by_group(current), _by_group(previous)
    values = {g: total(pts, panel, seconds) for g, pts in now.items()}
    # money in different currencies never adds up: a share is of the row's own currency
    cur = panel.group_by.index("currency") if panel.format == "currency" and "currency" in panel.group_by else None
    wholes: dict[object, float] = defaultdict(float)
    for g, v in values.items():
        wholes[g[cur] if cur is not None else None] += v or 0.0
    rows = [
        {
            "group": list(g),
            "value": v,
            "previous": (b := total(before.get(g, []), panel, seconds)),
            "change": change(v, b),
            "share": ratio(v, wholes[g[cur] if cur is not None else None]) if panel.kind == "counter" else None,
        }
        for g, v in values.items()
    ]
    rows.sort(key=lambda r: (-(r["value"] or 0), r["group"]))
    return rows[: panel.limit]


def funnel(values: list[float | None], panel: Panel) -> list[dict]:
    """Return each step's total with its conversion from the step before and from the first step."""
    first = values[0] if values else None
    return [
        {
            "label": step.label,
            "metric": step.metric,
            "value": v,
            "from_previous": ratio(v, values[i - 1]) if i else None,
            "from_first": ratio(v, first) if i else None,
        }
        for i, (step, v) in enumerate(zip(panel.steps, values, strict=True))
    ]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _num(value: float | None, scale: float = 1.0) -> float | str:
    return "" if value is None else round(value * scale, 6)


def table(panel: Panel, data: dict, start_s: float, end_s: float) -> tuple[list[str], list[list]]:
    """Return the panel's figures as columns and rows (what its CSV holds); times in UTC."""
    unit = [panel.unit] if panel.unit else []
    if panel.type == "tile":
        columns = ["from (UTC)", "to (UTC)", "metric", "value", "previous period", "change (%)", "target"]
        row = [_iso(start_s), _iso(end_s), panel.metric, _num(data["value"]), _num(data["previous"])]
        return [*columns, *(["unit"] if unit else [])], [[*row, _num(data["change"], 100), _num(data["target"]), *unit]]
    if panel.type == "funnel":
        columns = ["step", "metric", "value", "from previous step (%)", "from first step (%)"]
        return columns, [
            [s["label"], s["metric"], _num(s["value"]), _num(s["from_previous"], 100), _num(s["from_first"], 100)]
            for s in data["steps"]
        ]
    if "rows" in data:
        columns = [*panel.group_by, "value", "previous period", "change (%)", "share (%)"]
        return columns, [
            [*r["group"], _num(r["value"]), _num(r["previous"]), _num(r["change"], 100), _num(r["share"], 100)]
            for r in data["rows"]
        ]
    columns = ["time (UTC)", *panel.group_by, "value"]
    return columns, [[_iso(p["t"]), *s["group"], _num(p["value"])] for s in data["series"] for p in s["points"]]
