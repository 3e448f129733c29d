CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_exponential_histogram_mv ${on_cluster}
TO ${db}.otel_metrics_exponential_histogram
AS SELECT
${otlp_metric_columns}
${otlp_exemplar_columns}
    dp.count AS Count,
    dp.sum AS Sum,
    dp.scale AS Scale,
    dp.zero_count AS ZeroCount,
    dp.positive.offset AS PositiveOffset,
    dp.positive.bucket_counts AS PositiveBucketCounts,
    dp.negative.offset AS NegativeOffset,
    dp.negative.bucket_counts AS NegativeBucketCounts,
    dp.min AS Min,
    dp.max AS Max,
    data.aggregation_temporality AS AggregationTemporality
${otlp_metric_from}
    resource_metrics.scope_metrics.metrics.exponential_histogram AS data3
${otlp_metric_joins}
