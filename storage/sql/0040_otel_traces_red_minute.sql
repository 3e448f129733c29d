CREATE TABLE IF NOT EXISTS ${otel_traces_red_minute} ${on_cluster}
(
    Start DateTime CODEC(Delta(4), ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Calls SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    Errors SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    Durations AggregateFunction(quantiles(0.5, 0.95, 0.99), UInt64) CODEC(ZSTD(1))
)
ENGINE = ${engine}
PARTITION BY toDate(Start)
ORDER BY (ServiceName, Start)
${ttl}
SETTINGS index_granularity = 1024, ttl_only_drop_parts = 1
