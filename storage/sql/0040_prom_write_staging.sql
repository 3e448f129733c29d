CREATE TABLE IF NOT EXISTS ${db}.prom_write_staging ${on_cluster}
(
    timeseries Array(Tuple(
        labels Array(Tuple(name String, value String)),
        samples Array(Tuple(value Float64, timestamp Int64)))),
    otelhouse_low_ms Int64,
    otelhouse_high_ms Int64,
    otelhouse_kinds Array(Tuple(name String, kind UInt8, help String, unit String))
)
ENGINE = Null
