CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_exponential_histogram_mv ${on_cluster}
TO ${db}.otel_metrics_exponential_histogram
AS SELECT
${otlp_point_columns}
${otlp_point_exemplars}
    Count,
    Sum,
    Scale,
    ZeroCount,
    PositiveOffset,
    PositiveBucketCounts,
    NegativeOffset,
    NegativeBucketCounts,
    Min,
    Max,
    AggregationTemporality
FROM ${db}.otlp_metrics_points
WHERE Kind = 4
