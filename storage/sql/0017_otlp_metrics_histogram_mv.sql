CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_histogram_mv ${on_cluster}
TO ${db}.otel_metrics_histogram
AS SELECT
${otlp_metric_columns}
${otlp_exemplar_columns}
    dp.count AS Count,
    dp.sum AS Sum,
    dp.bucket_counts AS BucketCounts,
    dp.explicit_bounds AS ExplicitBounds,
    dp.min AS Min,
    dp.max AS Max,
    data.aggregation_temporality AS AggregationTemporality
${otlp_metric_from}
    resource_metrics.scope_metrics.metrics.histogram AS data3
${otlp_metric_joins}
