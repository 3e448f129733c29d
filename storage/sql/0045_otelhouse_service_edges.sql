CREATE TABLE IF NOT EXISTS ${otelhouse_service_edges} ${on_cluster}
(
    Minute DateTime CODEC(Delta(4), ZSTD(1)),
    Caller LowCardinality(String) CODEC(ZSTD(1)),
    Callee LowCardinality(String) CODEC(ZSTD(1)),
    Calls UInt64 CODEC(ZSTD(1)),
    Errors UInt64 CODEC(ZSTD(1)),
    Durations Map(UInt16, UInt64) CODEC(ZSTD(1))
)
ENGINE = ${engine}
PARTITION BY toDate(Minute)
ORDER BY (Minute, Caller, Callee)
${ttl}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
