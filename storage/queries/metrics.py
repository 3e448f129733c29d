"""The metrics explorer: the catalogue of metrics, and points per step aggregated across series.

Counters' rate and increase handle resets in SQL (a value that drops, or a new start time, starts
over from zero); histogram points come back per series and step for dashboard/metricmath.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clickhouse_connect.driver import Client

from storage.queries.common import AttrFilter, Conditions, Window, bucket_expr, rows, time_clause

KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")
AGGREGATES = {"sum": "sum", "avg": "avg", "min": "min", "max": "max"}  # user word -> SQL function
MAX_STEP_ROWS = 1_000_000  # (step, group) rows one series query may return: bounds memory


@dataclass(frozen=True)
class MetricQuery:
    """One metric's series: label filters and the labels to group by ('service.name' is the service)."""

    name: str
    kind: str
    attrs: tuple[AttrFilter, ...] = field(default_factory=tuple)
    group_by: tuple[str, ...] = ()


def metric_catalog(client: Client, db: str, w: Window, search: str = "", limit: int = 500) -> list[dict]:
    """Return metrics with a point in the window whose name contains `search`: kind, unit, labels."""
    parts = " UNION ALL ".join(
        f"""SELECT '{kind}' AS kind, MetricName, MetricUnit, MetricDescription, mapKeys(Attributes) AS keys,
            {"toUInt8(IsMonotonic)" if kind == "sum" else "toUInt8(0)"} AS monotonic, ServiceName
            FROM {db}.otel_metrics_{kind} WHERE {time_clause("TimeUnix")}
            AND positionCaseInsensitive(MetricName, {{search:String}}) > 0"""
        for kind in KINDS
    )
    sql = f"""SELECT MetricName AS name, kind, any(MetricUnit) AS unit, any(MetricDescription) AS description,
            arraySort(groupUniqArrayArray(keys)) AS labels, max(monotonic) AS monotonic,
            arraySort(groupUniqArray(ServiceName)) AS services
        FROM ({parts}) GROUP BY name, kind ORDER BY name, kind LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**w.params, "search": search, "limit": limit})


def _common(q: MetricQuery, w: Window, lookback_s: int = 0) -> tuple[Conditions, dict]:
    c = Conditions()
    c.add("MetricName = {name:String}", name=q.name)
    c.attrs(q.attrs, ("Attributes", "ResourceAttributes"))
    # one step (or the lookback, if longer) before the window gives the first step a baseline for
    # counters and histograms
    fetch_start = w.start_ns - max(w.step_s, lookback_s) * 10**9
    params = {**w.params, **c.params, "group": list(q.group_by), "fetch_start": fetch_start}
    return c, params


# a summary's value is its mean (sum / count); its quantiles are not comparable across series
_VALUE = {"gauge": "Value", "sum": "Value", "summary": "if(Count > 0, Sum / Count, nan)"}
_GROUP = "arrayMap(k -> if(k = 'service.name', ServiceName, Attributes[k]), {group:Array(String)})"
_SERIES = "cityHash64(ServiceName, Attributes)"


def value_series(
    client: Client, db: str, w: Window, q: MetricQuery, agg: str, limit: int = MAX_STEP_ROWS
) -> list[dict]:
    """Return agg over series of each series' last value per step, per group (gauge, sum, summary);
    at most `limit` rows."""
    c, params = _common(q, w)
    sql = f"""SELECT t, g, {AGGREGATES[agg]}(v) AS value FROM (
            SELECT {bucket_expr("TimeUnix")} AS t, {_GROUP} AS g, {_SERIES} AS s,
                argMax({_VALUE[q.kind]}, TimeUnix) AS v
            FROM {db}.otel_metrics_{q.kind} WHERE {time_clause("TimeUnix")} AND {c.sql()} GROUP BY t, g, s
        ) GROUP BY t, g ORDER BY g, t LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**params, "limit": limit})


def counter_increase(
    client: Client, db: str, w: Window, q: MetricQuery, lookback_s: int = 0, limit: int = MAX_STEP_ROWS
) -> list[dict]:
    """Return the increase and the rate per step per group of a sum, summed over series, resets handled
    (at most `limit` rows).

    Delta points count as they are. A cumulative point adds its difference from the series' previous
    point; after a reset (lower value or new start time) it adds its whole value. A series' first
    point adds its value only when the series started inside the fetched range, else it is a baseline.
    A series' rate in a step is its increase over the time its points cover (since each one's
    previous point), so points sparser than the step do not read as a lower rate. `lookback_s` reaches
    further back than one step for each series' baseline (totals must not lose the first increase).
    """
    c, params = _common(q, w, lookback_s)
    started = "StartTimeUnix >= fromUnixTimestamp64Nano({fetch_start:Int64})"
    since_start = "(toUnixTimestamp64Nano(TimeUnix) - st) / 1e9"
    sql = f"""SELECT t, g, sum(inc_s) AS value, sum(if(dt_s > 0, inc_s / dt_s, 0)) AS rate FROM (
            SELECT {bucket_expr("TimeUnix")} AS t, g, s, sum(inc) AS inc_s, sum(dt) AS dt_s FROM (
                SELECT TimeUnix, g, s,
                    multiIf(temporality = 1, Value, rn = 1, if({started}, Value, 0),
                            Value < pv OR st != pst, Value, Value - pv) AS inc,
                    multiIf(temporality = 1, {since_start}, rn = 1, if({started}, {since_start}, 0),
                            (toUnixTimestamp64Nano(TimeUnix) - pt) / 1e9) AS dt
                FROM (
                    SELECT TimeUnix, StartTimeUnix, Value, AggregationTemporality AS temporality, {_GROUP} AS g,
                        {_SERIES} AS s, toUnixTimestamp64Nano(StartTimeUnix) AS st,
                        row_number() OVER w AS rn,
                        lagInFrame(Value) OVER w AS pv,
                        lagInFrame(toUnixTimestamp64Nano(StartTimeUnix)) OVER w AS pst,
                        lagInFrame(toUnixTimestamp64Nano(TimeUnix)) OVER w AS pt
                    FROM {db}.otel_metrics_sum
                    WHERE {time_clause("TimeUnix", start="fetch_start")} AND {c.sql()}
                    WINDOW w AS (PARTITION BY s ORDER BY TimeUnix ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
                )
            ) WHERE TimeUnix >= fromUnixTimestamp64Nano({{start:Int64}})
            GROUP BY t, g, s
        ) GROUP BY t, g ORDER BY g, t LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**params, "limit": limit})


# per series and step: a cumulative histogram's last point, or the sum of a delta histogram's points
_HIST_FIELDS = {
    "histogram": """if(AggregationTemporality = 1, sum(Count), argMax(Count, TimeUnix)) AS count,
        if(AggregationTemporality = 1, sumForEach(BucketCounts), argMax(BucketCounts, TimeUnix)) AS BucketCounts,
        argMax(ExplicitBounds, TimeUnix) AS ExplicitBounds""",
    # exponential buckets of different points do not line up (offset, scale): the last point only,
    # and delta points are summed in Python (metricmath) from every point
    "exponential_histogram": """argMax(Count, TimeUnix) AS count, argMax(Scale, TimeUnix) AS Scale,
        argMax(ZeroCount, TimeUnix) AS ZeroCount, argMax(PositiveOffset, TimeUnix) AS PositiveOffset,
        argMax(PositiveBucketCounts, TimeUnix) AS PositiveBucketCounts,
        argMax(NegativeOffset, TimeUnix) AS NegativeOffset,
        argMax(NegativeBucketCounts, TimeUnix) AS NegativeBucketCounts""",
}


def histogram_points(client: Client, db: str, w: Window, q: MetricQuery, limit: int = 200_000) -> list[dict]:
    """Return one point per series and step in the fetched range with its group, oldest first.

    A cumulative series gives its last point in the step; a delta explicit histogram the sum of its
    points; a delta exponential histogram every point (its step repeated), which metricmath adds up.
    """
    c, params = _common(q, w)
    # a delta exponential point keeps its own time, so it stays a group of its own
    own_time = "if(AggregationTemporality = 1, TimeUnix, toDateTime64(0, 9))"
    per_point = "toUInt8(0)" if q.kind == "histogram" else own_time
    sql = f"""SELECT {bucket_expr("TimeUnix")} AS t, {_GROUP} AS g, {_SERIES} AS s,
            max(toUnixTimestamp64Nano(TimeUnix)) AS ts_ns,
            argMax(toUnixTimestamp64Nano(StartTimeUnix), TimeUnix) AS start_ns,
            AggregationTemporality AS temporality, {_HIST_FIELDS[q.kind]}
        FROM {db}.otel_metrics_{q.kind}
        WHERE {time_clause("TimeUnix", start="fetch_start")} AND {c.sql()}
        GROUP BY t, g, s, AggregationTemporality, {per_point}
        ORDER BY s, ts_ns LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**params, "limit": limit})


def exemplars(client: Client, db: str, w: Window, q: MetricQuery, limit: int = 500) -> list[dict]:
    """Return exemplars with a trace id recorded on the metric's points in the window."""
    if q.kind == "summary":
        return []
    c, params = _common(q, w)
    sql = f"""SELECT toUnixTimestamp64Nano(et) AS ts_ns, ev AS value, etr AS trace_id, esp AS span_id
        FROM {db}.otel_metrics_{q.kind}
        ARRAY JOIN Exemplars.TimeUnix AS et, Exemplars.Value AS ev, Exemplars.TraceId AS etr, Exemplars.SpanId AS esp
        WHERE {time_clause("TimeUnix")} AND {c.sql()} AND etr != ''
        ORDER BY et DESC LIMIT {{limit:UInt32}}"""
    return rows(client, sql, {**params, "limit": limit})
