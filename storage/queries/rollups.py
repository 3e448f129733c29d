"""Hourly and daily metric rollups, written from raw points before they leave hot storage, and read back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clickhouse_connect.driver import Client

RESOLUTIONS = {"hourly": "otelhouse_metrics_rollup_hourly", "daily": "otelhouse_metrics_rollup_daily"}
# per metric table: the value that count/sum/min/max/last summarise, and what a point counts for
_VALUES = {
    "otel_metrics_gauge": ("count()", "sum(Value)", "min(Value)", "max(Value)", "argMax(Value, TimeUnix)"),
    "otel_metrics_sum": ("count()", "sum(Value)", "min(Value)", "max(Value)", "argMax(Value, TimeUnix)"),
    "otel_metrics_histogram": ("sum(Count)", "sum(Sum)", "min(Min)", "max(Max)", "argMax(Sum, TimeUnix)"),
    "otel_metrics_exponential_histogram": ("sum(Count)", "sum(Sum)", "min(Min)", "max(Max)", "argMax(Sum, TimeUnix)"),
    "otel_metrics_summary": ("sum(Count)", "sum(Sum)", "0", "0", "argMax(Sum, TimeUnix)"),
}


def write_rollups(client: Client, database: str, kind_table: str, source: str, tz: str, token: str) -> None:
    """Summarise the points of `source` (a table shaped like `kind_table`) into both rollup tables.

    Histogram buckets are merged element-wise per set of bounds. The dedup token (derived from the
    points' content checksum) makes a rerun after a crash insert nothing twice.
    """
    count, total, low, high, last = _VALUES[kind_table]
    histogram = kind_table == "otel_metrics_histogram"
    bounds = "ExplicitBounds" if histogram else "CAST([], 'Array(Float64)')"
    buckets = "sumForEach(BucketCounts)" if histogram else "CAST([], 'Array(UInt64)')"
    metric_type = kind_table.removeprefix("otel_metrics_")
    for resolution, table in RESOLUTIONS.items():
        bucket = "toStartOfHour(TimeUnix)" if resolution == "hourly" else "toStartOfDay(TimeUnix, {tz:String})"
        client.command(
            f"INSERT INTO {database}.{table} (Bucket, ServiceName, MetricName, MetricType, MetricUnit, Attributes, "
            "Count, Sum, Min, Max, Last, LastTime, ExplicitBounds, BucketCounts) "
            f"SELECT {bucket} AS b, ServiceName, MetricName, {{kind:String}}, any(MetricUnit), Attributes, "
            f"{count}, {total}, {low}, {high}, {last}, max(TimeUnix), {bounds} AS eb, {buckets} "
            f"FROM {database}.{source} GROUP BY b, ServiceName, MetricName, Attributes, eb",
            parameters={"tz": tz, "kind": metric_type},
            settings={"insert_deduplication_token": f"{token}:{resolution}"},
        )


@dataclass(frozen=True)
class RollupPoint:
    bucket: datetime
    count: int
    sum: float
    min: float
    max: float
    last: float


def rollup_series(
    client: Client, database: str, resolution: str, metric: str, service: str, start: datetime, end: datetime
) -> list[RollupPoint]:
    """Return a metric's rollup over [start, end) at `resolution` (hourly or daily), all attributes merged."""
    rows = client.query(
        f"SELECT Bucket, sum(Count), sum(Sum), min(Min), max(Max), argMax(Last, LastTime) "
        f"FROM {database}.{RESOLUTIONS[resolution]} "
        "WHERE MetricName = {m:String} AND ({s:String} = '' OR ServiceName = {s:String}) "
        "AND Bucket >= {start:DateTime} AND Bucket < {end:DateTime} GROUP BY Bucket ORDER BY Bucket",
        parameters={"m": metric, "s": service, "start": start, "end": end},
    ).result_rows
    return [RollupPoint(r[0], int(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[5])) for r in rows]
