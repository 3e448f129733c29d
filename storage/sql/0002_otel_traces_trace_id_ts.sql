CREATE TABLE IF NOT EXISTS ${otel_traces_trace_id_ts} ${on_cluster}
(
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(Delta(4), ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(Delta(4), ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ${engine}
PARTITION BY toDate(Start)
ORDER BY TraceId
${ttl}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
