CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_summary_mv ${on_cluster}
TO ${db}.otel_metrics_summary
AS SELECT
${otlp_metric_columns}
    dp.count AS Count,
    dp.sum AS Sum,
    dp.quantile_values.quantile AS `ValueAtQuantiles.Quantile`,
    dp.quantile_values.value AS `ValueAtQuantiles.Value`
${otlp_metric_from}
    resource_metrics.scope_metrics.metrics.summary AS data3
${otlp_metric_joins}
