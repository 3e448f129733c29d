CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_summary_mv ${on_cluster}
TO ${db}.otel_metrics_summary
AS SELECT
${otlp_point_columns}
    Count,
    Sum,
    `ValueAtQuantiles.Quantile`,
    `ValueAtQuantiles.Value`
FROM ${db}.otlp_metrics_points
WHERE Kind = 5
