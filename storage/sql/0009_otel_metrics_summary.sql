CREATE TABLE IF NOT EXISTS ${otel_metrics_summary} ${on_cluster}
(
${metric_columns}
    Count UInt64 CODEC(Delta(8), ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested
    (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
${metric_keys}
