CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_gauge_mv${points} ${on_cluster}
TO ${db}.otel_metrics_gauge
AS SELECT
${otlp_point_columns}
${otlp_point_exemplars}
    Value
FROM ${db}.otlp_metrics_points${points}
WHERE Kind = 1
