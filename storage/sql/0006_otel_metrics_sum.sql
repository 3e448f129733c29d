CREATE TABLE IF NOT EXISTS ${otel_metrics_sum} ${on_cluster}
(
${metric_columns}
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
${exemplars}
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Bool CODEC(Delta(1), ZSTD(1)),
${metric_keys}
