CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_sum_mv ${on_cluster}
TO ${db}.otel_metrics_sum
AS SELECT
${otlp_metric_columns}
${otlp_exemplar_columns}
    ifNull(dp.as_double, toFloat64(ifNull(dp.as_int, 0))) AS Value,
    data.aggregation_temporality AS AggregationTemporality,
    data.is_monotonic AS IsMonotonic
${otlp_metric_from}
    resource_metrics.scope_metrics.metrics.sum AS data3
${otlp_metric_joins}
