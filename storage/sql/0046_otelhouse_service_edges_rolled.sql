CREATE TABLE IF NOT EXISTS ${otelhouse_service_edges_rolled} ${on_cluster}
(
    Minute DateTime CODEC(Delta(4), ZSTD(1)),
    RolledAt DateTime64(3) CODEC(ZSTD(1))
)
ENGINE = ${engine}
PARTITION BY toDate(Minute)
ORDER BY Minute
${ttl}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
