CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_histogram_mv ${on_cluster}
TO ${db}.otel_metrics_histogram
AS SELECT
${otlp_point_columns}
${otlp_point_exemplars}
    Count,
    Sum,
    BucketCounts,
    ExplicitBounds,
    Min,
    Max,
    AggregationTemporality
FROM ${db}.otlp_metrics_points
WHERE Kind = 3
