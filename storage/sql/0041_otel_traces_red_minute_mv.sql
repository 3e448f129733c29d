CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otel_traces_red_minute_mv ${on_cluster}
TO ${otel_traces_red_minute}
AS SELECT
    toStartOfMinute(Timestamp) AS Start,
    ServiceName,
    count() AS Calls,
    countIf(StatusCode = 'Error') AS Errors,
    quantilesState(0.5, 0.95, 0.99)(Duration) AS Durations
FROM ${otel_traces}
WHERE SpanKind IN ('Server', 'Consumer')
GROUP BY Start, ServiceName
