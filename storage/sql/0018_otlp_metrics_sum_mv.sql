CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_sum_mv${points} ${on_cluster}
TO ${db}.otel_metrics_sum
AS SELECT
${otlp_point_columns}
${otlp_point_exemplars}
    Value,
    AggregationTemporality,
    IsMonotonic
FROM ${db}.otlp_metrics_points${points}
WHERE Kind = 2
