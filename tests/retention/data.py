"""Generated telemetry for retention tests: rows spread over days in every hot table, made by ClickHouse itself."""

from __future__ import annotations

from datetime import date

from storage import Store

# {n} rows spread evenly over {days} UTC days from {day}; {seed} varies content between calls
_TIME = (
    "toDateTime64({day:Date}, 9, 'UTC') + toIntervalNanosecond(intDiv(86400000000000 * {days:UInt32}, {n:UInt32}) "
    "* number + {seed:UInt32})"
)
_INSERTS = {
    "otel_logs": (
        "INSERT INTO {db}.otel_logs (Timestamp, TraceId, SeverityText, SeverityNumber, ServiceName, Body, "
        f"ResourceAttributes, LogAttributes) SELECT {_TIME}, "
        "lower(hex(cityHash64(number, {seed:UInt32}))), ['INFO', 'WARN', 'ERROR'][1 + number % 3], "
        "9 + 4 * (number % 3), ['checkout', 'payments', 'search'][1 + number % 3], "
        "concat('request ', toString(number), ' seed ', toString({seed:UInt32}), ' on ', toString({day:Date})), "
        "map('host.name', concat('h', toString(number % 4))), map('http.status', toString(200 + number % 5)) "
        "FROM numbers({n:UInt32})"
    ),
    "otel_traces": (
        "INSERT INTO {db}.otel_traces (Timestamp, TraceId, SpanId, SpanName, ServiceName, Duration, StatusCode, "
        f"SpanAttributes, `Events.Timestamp`, `Events.Name`, `Events.Attributes`) SELECT {_TIME}, "
        "lower(hex(cityHash64(number, {seed:UInt32}, 1))), lower(hex(cityHash64(number))), "
        "['GET /', 'POST /pay'][1 + number % 2], ['checkout', 'payments'][1 + number % 2], 1000 * number, 'Ok', "
        "map('k', toString(number)), [toDateTime64({day:Date}, 9, 'UTC')], ['ev'], [map('a', 'b')] "
        "FROM numbers({n:UInt32})"
    ),
    "otel_metrics_gauge": (
        "INSERT INTO {db}.otel_metrics_gauge (ServiceName, MetricName, Attributes, TimeUnix, Value) SELECT "
        f"'checkout', 'queue.depth', map('q', toString(number % 2)), {_TIME}, number % 17 FROM numbers({{n:UInt32}})"
    ),
    "otel_metrics_sum": (
        "INSERT INTO {db}.otel_metrics_sum (ServiceName, MetricName, TimeUnix, Value, AggregationTemporality, "
        f"IsMonotonic) SELECT 'checkout', 'requests', {_TIME}, 1, 1, true FROM numbers({{n:UInt32}})"
    ),
    "otel_metrics_histogram": (
        "INSERT INTO {db}.otel_metrics_histogram (ServiceName, MetricName, TimeUnix, Count, Sum, BucketCounts, "
        f"ExplicitBounds, Min, Max) SELECT 'checkout', 'latency', {_TIME}, 3, 0.6, [1, 1, 1], [0.1, 0.2], 0.1, 0.3 "
        "FROM numbers({n:UInt32})"
    ),
}
TABLES = tuple(_INSERTS)


def ingest(store: Store, table: str, day: date, n: int, seed: int = 0, days: int = 1) -> None:
    """Insert `n` rows into `table` spread evenly over `days` UTC days from `day`."""
    sql = _INSERTS[table].replace("{db}", store.database)
    store.call(lambda c: c.command(sql, parameters={"day": day, "n": n, "seed": seed, "days": days}))


def day_sums(store: Store, table: str, time_col: str) -> dict[date, tuple[int, int]]:
    """Return (rows, content checksum) per UTC day of a table."""
    rows = store.call(
        lambda c: (
            c.query(
                f"SELECT toDate({time_col}) AS d, count(), sum(cityHash64(*)) FROM {store.database}.{table} GROUP BY d"
            ).result_rows
        )
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}
