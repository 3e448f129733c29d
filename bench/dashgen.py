"""Generate dashboard benchmark data inside ClickHouse: INSERT ... SELECT FROM numbers(N), no Python rows.

Traces of ten spans across three of twenty services (server -> client -> server -> ... so the service
map has edges), 2% errors with exception events; log lines from templates with a rare word; counters,
gauges and histograms per minute. Everything spread over the 24 hours before `now`.
"""

from __future__ import annotations

from clickhouse_connect.driver import Client

SPANS_PER_TRACE = 10
SERVICES = 20

_SVC = f"arrayMap(i -> concat('svc-', toString(i)), range({SERVICES}))"
# span j's parent index, kind and service slot (0: A, 1: B, 2: C)
_PARENT = "[0, 0, 1, 2, 2, 4, 5, 5, 5, 5]"
_KIND = "['Server', 'Client', 'Server', 'Internal', 'Client', 'Server', 'Internal', 'Client', 'Client', 'Internal']"
_SLOT = "[0, 0, 1, 1, 1, 2, 2, 2, 2, 2]"


def traces_sql(db: str, first: int, count: int, now_s: int) -> str:
    """Return the INSERT generating spans first..first+count-1 (ten per trace)."""
    return f"""
    INSERT INTO {db}.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
        ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode,
        StatusMessage, `Events.Timestamp`, `Events.Name`, `Events.Attributes`,
        `Links.TraceId`, `Links.SpanId`, `Links.TraceState`, `Links.Attributes`)
    SELECT
        fromUnixTimestamp64Nano(toInt64(({now_s} - 86400) * 1e9 + t * (86400e9 / {{traces:UInt64}}) + j * 1e6)) AS ts,
        lower(concat(hex(cityHash64(t, 'a')), hex(cityHash64(t, 'b')))) AS TraceId,
        lower(hex(cityHash64(t, j))) AS SpanId,
        if(j = 0, '', lower(hex(cityHash64(t, {_PARENT}[j + 1])))) AS ParentSpanId,
        '' AS TraceState,
        concat(['GET /api/items', 'POST /api/cart', 'GET /api/user', 'charge', 'SELECT items',
                'publish order', 'GET /health', 'PUT /api/cart', 'render', 'lookup'][(t + j) % 10 + 1]) AS SpanName,
        {_KIND}[j + 1] AS SpanKind,
        {_SVC}[[t % {SERVICES}, (t * 7 + 3) % {SERVICES}, (t * 13 + 5) % {SERVICES}][{_SLOT}[j + 1] + 1] + 1]
            AS ServiceName,
        map('service.name', ServiceName, 'host.name', concat('host-', toString(t % 50)),
            'deployment.environment', 'prod') AS ResourceAttributes,
        'bench' AS ScopeName, '1.0' AS ScopeVersion,
        map('http.method', 'GET', 'http.route', SpanName, 'user.id', toString(t % 1000),
            'http.status_code', if(err, '500', '200')) AS SpanAttributes,
        toUInt64((2e6 + (cityHash64(t) % 1000) * (cityHash64(t) % 1000) * 300) * (10 - j) / 10) AS Duration,
        if(err, 'Error', 'Unset') AS StatusCode,
        if(err, 'upstream failed', '') AS StatusMessage,
        if(err, [ts], []) AS et, if(err, ['exception'], []) AS en,
        if(err, [map('exception.type', 'TimeoutError', 'exception.message', 'upstream timeout',
                     'exception.stacktrace', 'Traceback ...')], []) AS ea,
        [] AS lt, [] AS ls, [] AS lts, [] AS la
    FROM (SELECT number AS n, intDiv(n, {SPANS_PER_TRACE}) AS t, n % {SPANS_PER_TRACE} AS j,
                 cityHash64(t, 'err') % 100 < 2 AND j >= 5 AS err
          FROM numbers({first}, {count}))
    """


def logs_sql(db: str, first: int, count: int, total: int, now_s: int) -> str:
    """Return the INSERT generating log lines first..first+count-1 of `total`."""
    return f"""
    INSERT INTO {db}.otel_logs (Timestamp, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber,
        ServiceName, Body, ResourceAttributes, ScopeName, LogAttributes)
    SELECT
        fromUnixTimestamp64Nano(toInt64(({now_s} - 86400) * 1e9 + n * (86400e9 / {total}))) AS Timestamp,
        if(n % 3 = 0, lower(concat(hex(cityHash64(n, 'a')), hex(cityHash64(n, 'b')))), '') AS TraceId,
        if(n % 3 = 0, lower(hex(cityHash64(n))), '') AS SpanId, 1,
        ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'INFO', 'ERROR', 'INFO', 'DEBUG', 'INFO'][n % 10 + 1] AS SeverityText,
        [9, 9, 9, 5, 13, 9, 17, 9, 5, 9][n % 10 + 1] AS SeverityNumber,
        {_SVC}[n % {SERVICES} + 1] AS ServiceName,
        if(cityHash64(n, 'rare') % 1000 = 0,
           concat('upstream timeout contacting payments after ', toString(n % 5000), ' ms'),
           concat(['request handled', 'cache miss for key', 'user logged in', 'order created',
                   'payment authorised', 'slow query on table'][n % 6 + 1],
                  ' id=', toString(n), ' user-', toString(n % 1000), ' in ', toString(n % 997), ' ms')) AS Body,
        map('service.name', ServiceName, 'host.name', concat('host-', toString(n % 50))) AS ResourceAttributes,
        'bench' AS ScopeName,
        map('request.id', toString(n), 'region', ['eu', 'us', 'ap'][n % 3 + 1],
            'http.status_code', if(SeverityNumber >= 17, '500', '200')) AS LogAttributes
    FROM (SELECT number AS n FROM numbers({first}, {count}))
    """


def metrics_sql(db: str, now_s: int) -> list[str]:
    """Return INSERTs of one point per minute over 24 h: 100 counter, 100 gauge and 40 histogram series."""
    common = """ServiceName, Attributes, StartTimeUnix, TimeUnix, MetricName, MetricDescription, MetricUnit"""
    base = f"""{_SVC}[s % {SERVICES} + 1] AS ServiceName, map('route', concat('/r', toString(s % 5))) AS Attributes,
        fromUnixTimestamp64Nano(toInt64(({now_s} - 90000) * 1e9)) AS StartTimeUnix,
        fromUnixTimestamp64Nano(toInt64(({now_s} - 86400 + m * 60) * 1e9)) AS TimeUnix"""
    grid = "FROM (SELECT number % {series} AS s, intDiv(number, {series}) AS m FROM numbers({series} * 1440))"
    return [
        f"""INSERT INTO {db}.otel_metrics_sum ({common}, Value, AggregationTemporality, IsMonotonic)
        SELECT {base}, 'http.requests' AS MetricName, 'requests' AS MetricDescription, '1' AS MetricUnit,
            toFloat64(m * (10 + s % 7)) AS Value, 2, true
        {grid.format(series=100)}""",
        f"""INSERT INTO {db}.otel_metrics_gauge ({common}, Value)
        SELECT {base}, 'queue.depth' AS MetricName, 'jobs waiting' AS MetricDescription, '1' AS MetricUnit,
            toFloat64((m * 7 + s) % 100) AS Value
        {grid.format(series=100)}""",
        f"""INSERT INTO {db}.otel_metrics_histogram ({common}, Count, Sum, BucketCounts, ExplicitBounds,
            AggregationTemporality)
        SELECT {base}, 'http.duration' AS MetricName, 'latency' AS MetricDescription, 'ms' AS MetricUnit,
            toUInt64(m * 100) AS Count, toFloat64(m * 5000) AS Sum,
            arrayMap(k -> toUInt64(m * [5, 20, 40, 20, 10, 3, 1, 1][k]), range(1, 9)) AS BucketCounts,
            [5., 10., 25., 50., 100., 250., 500.] AS ExplicitBounds, 2
        {grid.format(series=40)}""",
    ]


def big_trace_sql(db: str, spans: int, now_s: int) -> str:
    """Return the INSERT of one trace of `spans` spans (a wide and deep tree) ending an hour ago."""
    return f"""
    INSERT INTO {db}.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
        ResourceAttributes, SpanAttributes, Duration, StatusCode)
    SELECT fromUnixTimestamp64Nano(toInt64(({now_s} - 3600) * 1e9 + number * 1e5)),
        repeat('ab', 16), lower(hex(cityHash64(number, 'big'))),
        if(number = 0, '', lower(hex(cityHash64(intDiv(number - 1, 4), 'big')))),
        concat('step-', toString(number % 37)), if(number % 5 = 0, 'Server', 'Internal'),
        concat('svc-', toString(number % 7)), map('service.name', concat('svc-', toString(number % 7))),
        map('i', toString(number)), toUInt64(({spans} - number) * 1e5), if(number % 97 = 0, 'Error', 'Unset')
    FROM numbers({spans})
    """


def generate(client: Client, db: str, spans: int, logs: int, now_s: int, chunk: int = 2_000_000) -> None:
    """Insert `spans` spans, `logs` log lines, the metrics and a 10,000-span trace."""
    traces = spans // SPANS_PER_TRACE
    for first in range(0, traces * SPANS_PER_TRACE, chunk):
        count = min(chunk, traces * SPANS_PER_TRACE - first)
        client.command(traces_sql(db, first, count, now_s), parameters={"traces": traces})
    for first in range(0, logs, chunk):
        client.command(logs_sql(db, first, min(chunk, logs - first), logs, now_s))
    for sql in metrics_sql(db, now_s):
        client.command(sql)
    client.command(big_trace_sql(db, 10_000, now_s))
