CREATE TABLE IF NOT EXISTS ${otelhouse_service_red} ${on_cluster}
(
    Slot DateTime CODEC(Delta(4), ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Calls UInt64 CODEC(ZSTD(1)),
    Errors UInt64 CODEC(ZSTD(1)),
    DurationBuckets Map(UInt16, UInt64) CODEC(ZSTD(1))
)
ENGINE = ${engine}
PARTITION BY toDate(Slot)
ORDER BY (Slot, ServiceName)
${ttl}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
