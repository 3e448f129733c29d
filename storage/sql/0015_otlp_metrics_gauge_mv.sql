CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_gauge_mv ${on_cluster}
TO ${db}.otel_metrics_gauge
AS SELECT
${otlp_metric_columns}
${otlp_exemplar_columns}
    ifNull(dp.as_double, toFloat64(ifNull(dp.as_int, 0))) AS Value
${otlp_metric_from}
    resource_metrics.scope_metrics.metrics.gauge AS data3
${otlp_metric_joins}
