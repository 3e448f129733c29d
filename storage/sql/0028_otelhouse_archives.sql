CREATE TABLE IF NOT EXISTS ${otelhouse_archives} ${on_cluster}
(
    id String,
    version UInt64,
    signal LowCardinality(String),
    table LowCardinality(String),
    kind LowCardinality(String),
    period_start Date,
    period_end Date,
    part UInt32,
    location String,
    status LowCardinality(String),
    rows UInt64,
    content_hash UInt64,
    min_time DateTime64(9),
    max_time DateTime64(9),
    file_bytes UInt64,
    file_sha256 String,
    schema_version String,
    batch String,
    partitions Array(Date),
    partition_rows Array(UInt64),
    partition_hashes Array(UInt64),
    sources Array(String),
    created_at DateTime64(3),
    checked_at DateTime64(3),
    note String
)
ENGINE = ${engine}
ORDER BY (id, version)
