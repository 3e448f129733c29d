CREATE TABLE IF NOT EXISTS ${otel_metrics_gauge} ${on_cluster}
(
${metric_columns}
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
${exemplars}
${metric_keys}
