CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_sum_mv ${on_cluster}
TO ${db}.otel_metrics_sum
AS SELECT
${otlp_metric_columns}
${otlp_exemplar_columns}
    ifNull(dp.as_double, toFloat64(ifNull(dp.as_int, 0))) AS Value,
    AggregationTemporality,
    IsMonotonic
${otlp_metric_from}
    ms.sum.data_points AS dps, ms.sum.aggregation_temporality AS AggregationTemporality, ms.sum.is_monotonic AS IsMonotonic
ARRAY JOIN dps AS dp
