CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_sum_mv ${on_cluster}
TO ${db}.otel_metrics_sum
AS SELECT
${otlp_metric_columns}
${otlp_exemplar_columns}
    ifNull(dp.as_double, toFloat64(ifNull(dp.as_int, 0))) AS Value,
    m.sum.aggregation_temporality AS AggregationTemporality,
    m.sum.is_monotonic AS IsMonotonic
${otlp_metric_from}
ARRAY JOIN m.sum.data_points AS dp
