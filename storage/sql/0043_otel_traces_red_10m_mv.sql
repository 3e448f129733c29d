CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otel_traces_red_10m_mv ${on_cluster}
TO ${otel_traces_red_10m}
AS SELECT
    Start10 AS Start,
    ServiceName,
    sum(Calls) AS Calls,
    sum(Errors) AS Errors,
    quantilesMergeState(0.5, 0.95, 0.99)(Durations) AS Durations
FROM (SELECT toStartOfTenMinutes(Start) AS Start10, * FROM ${otel_traces_red_minute})
GROUP BY Start10, ServiceName
