CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_metrics_summary_mv ${on_cluster}
TO ${db}.otel_metrics_summary
AS SELECT
${otlp_metric_columns}
    dp.count AS Count,
    dp.sum AS Sum,
    dp.quantile_values.quantile AS `ValueAtQuantiles.Quantile`,
    dp.quantile_values.value AS `ValueAtQuantiles.Value`
${otlp_metric_from}
    ms.summary.data_points AS dps
ARRAY JOIN dps AS dp
