-- 0001_otel_traces
CREATE TABLE IF NOT EXISTS otel.otel_traces_local ON CLUSTER otel_cluster
(
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested
    (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested
    (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_traces_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay(30)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_traces ON CLUSTER otel_cluster AS otel.otel_traces_local ENGINE = Distributed(otel_cluster, otel, otel_traces_local, cityHash64(TraceId));

-- 0002_otel_traces_trace_id_ts
CREATE TABLE IF NOT EXISTS otel.otel_traces_trace_id_ts_local ON CLUSTER otel_cluster
(
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(Delta(4), ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(Delta(4), ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/otel/otel_traces_trace_id_ts_local', '{replica}')
PARTITION BY toDate(Start)
ORDER BY TraceId
TTL toDateTime(Start) + toIntervalDay(30)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
CREATE TABLE IF NOT EXISTS otel.otel_traces_trace_id_ts ON CLUSTER otel_cluster AS otel.otel_traces_trace_id_ts_local ENGINE = Distributed(otel_cluster, otel, otel_traces_trace_id_ts_local, cityHash64(TraceId));

-- 0003_otel_traces_trace_id_ts_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otel_traces_trace_id_ts_mv ON CLUSTER otel_cluster
TO otel.otel_traces_trace_id_ts_local
AS SELECT
    TraceId,
    min(toDateTime(Timestamp)) AS Start,
    max(toDateTime(Timestamp)) AS End
FROM otel.otel_traces_local
WHERE TraceId != ''
GROUP BY TraceId;

-- 0004_otel_logs
CREATE TABLE IF NOT EXISTS otel.otel_logs_local ON CLUSTER otel_cluster
(
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_logs_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay(90)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_logs ON CLUSTER otel_cluster AS otel.otel_logs_local ENGINE = Distributed(otel_cluster, otel, otel_logs_local, cityHash64(ServiceName, Timestamp));

-- 0005_otel_metrics_gauge
CREATE TABLE IF NOT EXISTS otel.otel_metrics_gauge_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_gauge_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)
TTL toDateTime(TimeUnix) + toIntervalDay(90)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_gauge ON CLUSTER otel_cluster AS otel.otel_metrics_gauge_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_gauge_local, cityHash64(ServiceName, MetricName, TimeUnix));

-- 0006_otel_metrics_sum
CREATE TABLE IF NOT EXISTS otel.otel_metrics_sum_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Bool CODEC(Delta(1), ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_sum_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)
TTL toDateTime(TimeUnix) + toIntervalDay(90)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_sum ON CLUSTER otel_cluster AS otel.otel_metrics_sum_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_sum_local, cityHash64(ServiceName, MetricName, TimeUnix));

-- 0007_otel_metrics_histogram
CREATE TABLE IF NOT EXISTS otel.otel_metrics_histogram_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Count UInt64 CODEC(Delta(8), ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_histogram_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)
TTL toDateTime(TimeUnix) + toIntervalDay(90)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_histogram ON CLUSTER otel_cluster AS otel.otel_metrics_histogram_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_histogram_local, cityHash64(ServiceName, MetricName, TimeUnix));

-- 0008_otel_metrics_exponential_histogram
CREATE TABLE IF NOT EXISTS otel.otel_metrics_exponential_histogram_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Count UInt64 CODEC(Delta(8), ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_exponential_histogram_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)
TTL toDateTime(TimeUnix) + toIntervalDay(90)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_exponential_histogram ON CLUSTER otel_cluster AS otel.otel_metrics_exponential_histogram_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_exponential_histogram_local, cityHash64(ServiceName, MetricName, TimeUnix));

-- 0009_otel_metrics_summary
CREATE TABLE IF NOT EXISTS otel.otel_metrics_summary_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Count UInt64 CODEC(Delta(8), ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested
    (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_summary_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)
TTL toDateTime(TimeUnix) + toIntervalDay(90)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_summary ON CLUSTER otel_cluster AS otel.otel_metrics_summary_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_summary_local, cityHash64(ServiceName, MetricName, TimeUnix));

-- 0010_otlp_traces_staging
CREATE TABLE IF NOT EXISTS otel.otlp_traces_staging ON CLUSTER otel_cluster
(
    resource_spans Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String))))),
        scope_spans Array(Tuple(
            scope Tuple(name String, version String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), dropped_attributes_count UInt32),
            spans Array(Tuple(
                trace_id String,
                span_id String,
                trace_state String,
                parent_span_id String,
                name String,
                kind Int32,
                start_time_unix_nano UInt64,
                end_time_unix_nano UInt64,
                attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))),
                events Array(Tuple(time_unix_nano UInt64, name String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))),
                links Array(Tuple(trace_id String, span_id String, trace_state String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))),
                status Tuple(message String, code Int32)))))))
)
ENGINE = Null;

-- 0011_otlp_traces_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_traces_mv ON CLUSTER otel_cluster
TO otel.otel_traces
AS SELECT
    fromUnixTimestamp64Nano(toInt64(span.start_time_unix_nano)) AS Timestamp,
    lower(hex(span.trace_id)) AS TraceId,
    lower(hex(span.span_id)) AS SpanId,
    replaceRegexpOne(lower(hex(span.parent_span_id)), '^0+\\z', '') AS ParentSpanId,
    span.trace_state AS TraceState,
    span.name AS SpanName,
    if(span.kind BETWEEN 1 AND 5, ['Internal', 'Server', 'Client', 'Producer', 'Consumer'][span.kind], 'Unspecified') AS SpanKind,
    ResourceAttributes['service.name'] AS ServiceName,
    ctx.1 AS ResourceAttributes,
    ctx.2 AS ScopeName,
    ctx.3 AS ScopeVersion,
    arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [span.attributes])[1] AS SpanAttributes,
    if(span.end_time_unix_nano > span.start_time_unix_nano, span.end_time_unix_nano - span.start_time_unix_nano, 0) AS Duration,
    if(span.status.code BETWEEN 1 AND 2, ['Ok', 'Error'][span.status.code], 'Unset') AS StatusCode,
    span.status.message AS StatusMessage,
    arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), span.events) AS `Events.Timestamp`,
    span.events.name AS `Events.Name`,
    arrayMap(e -> arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [e.attributes])[1], span.events) AS `Events.Attributes`,
    arrayMap(l -> replaceRegexpOne(lower(hex(l.trace_id)), '^0+\\z', ''), span.links) AS `Links.TraceId`,
    arrayMap(l -> replaceRegexpOne(lower(hex(l.span_id)), '^0+\\z', ''), span.links) AS `Links.SpanId`,
    span.links.trace_state AS `Links.TraceState`,
    arrayMap(l -> arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [l.attributes])[1], span.links) AS `Links.Attributes`
FROM otel.otlp_traces_staging
-- one ARRAY JOIN over every span (each ARRAY JOIN level copies the data it unnests), beside each
-- span's resource and scope, rendered once per scope and repeated for its spans
ARRAY JOIN
    arrayFlatten(resource_spans.scope_spans.spans) AS span,
    arrayFlatten(arrayMap(rs -> arrayMap(ss -> arrayWithConstant(length(ss.spans),
        (arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [rs.resource.attributes])[1], ss.scope.name, ss.scope.version)),
        rs.scope_spans), resource_spans)) AS ctx;

-- 0012_otlp_logs_staging
CREATE TABLE IF NOT EXISTS otel.otlp_logs_staging ON CLUSTER otel_cluster
(
    resource_logs Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String))))),
        scope_logs Array(Tuple(
            scope Tuple(name String, version String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), dropped_attributes_count UInt32),
            log_records Array(Tuple(
                time_unix_nano UInt64,
                observed_time_unix_nano UInt64,
                severity_number Int32,
                severity_text String,
                body Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)),
                attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))),
                flags UInt32,
                trace_id String,
                span_id String,
                event_name String)),
            schema_url String)),
        schema_url String))
)
ENGINE = Null;

-- 0013_otlp_logs_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_logs_mv ON CLUSTER otel_cluster
TO otel.otel_logs
AS SELECT
    fromUnixTimestamp64Nano(toInt64(if(rec.time_unix_nano != 0, rec.time_unix_nano, rec.observed_time_unix_nano))) AS Timestamp,
    replaceRegexpOne(lower(hex(rec.trace_id)), '^0+\\z', '') AS TraceId,
    replaceRegexpOne(lower(hex(rec.span_id)), '^0+\\z', '') AS SpanId,
    toUInt8(bitAnd(rec.flags, 255)) AS TraceFlags,
    rec.severity_text AS SeverityText,
    toUInt8(bitAnd(rec.severity_number, 255)) AS SeverityNumber,
    ResourceAttributes['service.name'] AS ServiceName,
    arrayMap(kv -> multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    ''), [tuple('', rec.body)])[1] AS Body,
    ctx.2 AS ResourceSchemaUrl,
    ctx.1 AS ResourceAttributes,
    ctx.3 AS ScopeSchemaUrl,
    ctx.4 AS ScopeName,
    ctx.5 AS ScopeVersion,
    ctx.6 AS ScopeAttributes,
    arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [rec.attributes])[1] AS LogAttributes,
    rec.event_name AS EventName
FROM otel.otlp_logs_staging
-- one ARRAY JOIN over every record (each ARRAY JOIN level copies the data it unnests), beside each
-- record's resource and scope, rendered once per scope and repeated for its records
ARRAY JOIN
    arrayFlatten(resource_logs.scope_logs.log_records) AS rec,
    arrayFlatten(arrayMap(rl -> arrayMap(sl -> arrayWithConstant(length(sl.log_records),
        (arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [rl.resource.attributes])[1], rl.schema_url, sl.schema_url, sl.scope.name,
         sl.scope.version, arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [sl.scope.attributes])[1])),
        rl.scope_logs), resource_logs)) AS ctx;

-- 0014_otlp_metrics_staging
CREATE TABLE IF NOT EXISTS otel.otlp_metrics_staging ON CLUSTER otel_cluster
(
    resource_metrics Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String))))),
        scope_metrics Array(Tuple(
            scope Tuple(name String, version String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), dropped_attributes_count UInt32),
            metrics Array(Tuple(
                name String,
                description String,
                unit String,
                gauge Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), start_time_unix_nano UInt64, time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), exemplars Array(Tuple(filtered_attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), span_id String, trace_id String)), flags UInt32))),
                sum Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), start_time_unix_nano UInt64, time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), exemplars Array(Tuple(filtered_attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), span_id String, trace_id String)), flags UInt32)), aggregation_temporality Int32, is_monotonic Bool),
                histogram Tuple(
                    data_points Array(Tuple(
                        attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))),
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        bucket_counts Array(UInt64),
                        explicit_bounds Array(Float64),
                        exemplars Array(Tuple(filtered_attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), span_id String, trace_id String)),
                        flags UInt32,
                        min Float64,
                        max Float64)),
                    aggregation_temporality Int32),
                exponential_histogram Tuple(
                    data_points Array(Tuple(
                        attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))),
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        scale Int32,
                        zero_count UInt64,
                        positive Tuple(offset Int32, bucket_counts Array(UInt64)),
                        negative Tuple(offset Int32, bucket_counts Array(UInt64)),
                        flags UInt32,
                        exemplars Array(Tuple(filtered_attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))), time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), span_id String, trace_id String)),
                        min Float64,
                        max Float64)),
                    aggregation_temporality Int32),
                summary Tuple(
                    data_points Array(Tuple(
                        attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), array_value Array(Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))), kvlist_value Array(Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))), bytes_value Nullable(String)))))), bytes_value Nullable(String)))),
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        quantile_values Array(Tuple(quantile Float64, value Float64)),
                        flags UInt32))))),
            schema_url String)),
        schema_url String))
)
ENGINE = Null;

-- 0015_otlp_metrics_points
CREATE TABLE IF NOT EXISTS otel.otlp_metrics_points ON CLUSTER otel_cluster
(
    Kind UInt8,
    ResourceAttributes Map(String, String),
    ResourceSchemaUrl String,
    ScopeName String,
    ScopeVersion String,
    ScopeAttributes Map(String, String),
    ScopeDroppedAttrCount UInt32,
    ScopeSchemaUrl String,
    ServiceName String,
    MetricName String,
    MetricDescription String,
    MetricUnit String,
    Attributes Map(String, String),
    StartTimeUnix DateTime64(9),
    TimeUnix DateTime64(9),
    Flags UInt32,
    `Exemplars.FilteredAttributes` Array(Map(String, String)),
    `Exemplars.TimeUnix` Array(DateTime64(9)),
    `Exemplars.Value` Array(Float64),
    `Exemplars.SpanId` Array(String),
    `Exemplars.TraceId` Array(String),
    Value Float64,
    AggregationTemporality Int32,
    IsMonotonic Bool,
    Count UInt64,
    Sum Float64,
    BucketCounts Array(UInt64),
    ExplicitBounds Array(Float64),
    Scale Int32,
    ZeroCount UInt64,
    PositiveOffset Int32,
    PositiveBucketCounts Array(UInt64),
    NegativeOffset Int32,
    NegativeBucketCounts Array(UInt64),
    Min Float64,
    Max Float64,
    `ValueAtQuantiles.Quantile` Array(Float64),
    `ValueAtQuantiles.Value` Array(Float64)
)
ENGINE = Null;

-- 0016_otlp_metrics_points_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_points_mv ON CLUSTER otel_cluster
TO otel.otlp_metrics_points
AS SELECT
    dp.1 AS Kind,
    ctx.1 AS ResourceAttributes,
    ctx.2 AS ResourceSchemaUrl,
    ctx.3 AS ScopeName,
    ctx.4 AS ScopeVersion,
    ctx.5 AS ScopeAttributes,
    ctx.6 AS ScopeDroppedAttrCount,
    ctx.7 AS ScopeSchemaUrl,
    ResourceAttributes['service.name'] AS ServiceName,
    metric.name AS MetricName,
    metric.description AS MetricDescription,
    metric.unit AS MetricUnit,
    arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [dp.2])[1] AS Attributes,
    fromUnixTimestamp64Nano(toInt64(dp.3)) AS StartTimeUnix,
    fromUnixTimestamp64Nano(toInt64(dp.4)) AS TimeUnix,
    dp.5 AS Flags,
    arrayMap(ex -> arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [ex.filtered_attributes])[1], dp.6) AS `Exemplars.FilteredAttributes`,
    arrayMap(ex -> fromUnixTimestamp64Nano(toInt64(ex.time_unix_nano)), dp.6) AS `Exemplars.TimeUnix`,
    arrayMap(ex -> ifNull(ex.as_double, toFloat64(ifNull(ex.as_int, 0))), dp.6) AS `Exemplars.Value`,
    arrayMap(ex -> replaceRegexpOne(lower(hex(ex.span_id)), '^0+\\z', ''), dp.6) AS `Exemplars.SpanId`,
    arrayMap(ex -> replaceRegexpOne(lower(hex(ex.trace_id)), '^0+\\z', ''), dp.6) AS `Exemplars.TraceId`,
    dp.7 AS Value,
    dp.8 AS AggregationTemporality,
    dp.9 AS IsMonotonic,
    dp.10 AS Count,
    dp.11 AS Sum,
    dp.12 AS BucketCounts,
    dp.13 AS ExplicitBounds,
    dp.14 AS Scale,
    dp.15 AS ZeroCount,
    dp.16 AS PositiveOffset,
    dp.17 AS PositiveBucketCounts,
    dp.18 AS NegativeOffset,
    dp.19 AS NegativeBucketCounts,
    dp.20 AS Min,
    dp.21 AS Max,
    dp.22 AS `ValueAtQuantiles.Quantile`,
    dp.23 AS `ValueAtQuantiles.Value`
FROM otel.otlp_metrics_staging
-- one ARRAY JOIN over every metric (each ARRAY JOIN level copies the data it unnests), beside each
-- metric's resource and scope, rendered once per scope and repeated for its metrics
ARRAY JOIN
    arrayFlatten(resource_metrics.scope_metrics.metrics) AS metric,
    arrayFlatten(arrayMap(rm -> arrayMap(sm -> arrayWithConstant(length(sm.metrics),
        (arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [rm.resource.attributes])[1], rm.schema_url, sm.scope.name, sm.scope.version,
         arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')), a, arrayEnumerate(a)))])[1], [sm.scope.attributes])[1], sm.scope.dropped_attributes_count, sm.schema_url)),
        rm.scope_metrics), resource_metrics)) AS ctx
-- every kind's points as one list of one tuple shape, so the maps are rendered by one expression each:
-- (kind, attributes, start, time, flags, exemplars, value, temporality, monotonic, count, sum,
--  bucket counts, bounds, scale, zero count, +offset, +buckets, -offset, -buckets, min, max, quantiles, values)
ARRAY JOIN arrayConcat(
    arrayMap(p -> (1, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, p.exemplars,
        ifNull(p.as_double, toFloat64(ifNull(p.as_int, 0))), 0, false, 0, 0, [], [], 0, 0, 0, [], 0, [], 0, 0, [], []),
        metric.gauge.data_points),
    arrayMap(p -> (2, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, p.exemplars,
        ifNull(p.as_double, toFloat64(ifNull(p.as_int, 0))), metric.sum.aggregation_temporality, metric.sum.is_monotonic,
        0, 0, [], [], 0, 0, 0, [], 0, [], 0, 0, [], []),
        metric.sum.data_points),
    arrayMap(p -> (3, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, p.exemplars,
        0, metric.histogram.aggregation_temporality, false, p.count, p.sum, p.bucket_counts, p.explicit_bounds,
        0, 0, 0, [], 0, [], p.min, p.max, [], []),
        metric.histogram.data_points),
    arrayMap(p -> (4, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, p.exemplars,
        0, metric.exponential_histogram.aggregation_temporality, false, p.count, p.sum, [], [],
        p.scale, p.zero_count, p.positive.offset, p.positive.bucket_counts, p.negative.offset, p.negative.bucket_counts,
        p.min, p.max, [], []),
        metric.exponential_histogram.data_points),
    arrayMap(p -> (5, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, [],
        0, 0, false, p.count, p.sum, [], [], 0, 0, 0, [], 0, [], 0, 0, p.quantile_values.quantile, p.quantile_values.value),
        metric.summary.data_points)) AS dp;

-- 0017_otlp_metrics_gauge_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_gauge_mv ON CLUSTER otel_cluster
TO otel.otel_metrics_gauge
AS SELECT
    ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount,
    ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Flags,
    `Exemplars.FilteredAttributes`, `Exemplars.TimeUnix`, `Exemplars.Value`, `Exemplars.SpanId`, `Exemplars.TraceId`,
    Value
FROM otel.otlp_metrics_points
WHERE Kind = 1;

-- 0018_otlp_metrics_sum_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_sum_mv ON CLUSTER otel_cluster
TO otel.otel_metrics_sum
AS SELECT
    ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount,
    ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Flags,
    `Exemplars.FilteredAttributes`, `Exemplars.TimeUnix`, `Exemplars.Value`, `Exemplars.SpanId`, `Exemplars.TraceId`,
    Value,
    AggregationTemporality,
    IsMonotonic
FROM otel.otlp_metrics_points
WHERE Kind = 2;

-- 0019_otlp_metrics_histogram_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_histogram_mv ON CLUSTER otel_cluster
TO otel.otel_metrics_histogram
AS SELECT
    ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount,
    ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Flags,
    `Exemplars.FilteredAttributes`, `Exemplars.TimeUnix`, `Exemplars.Value`, `Exemplars.SpanId`, `Exemplars.TraceId`,
    Count,
    Sum,
    BucketCounts,
    ExplicitBounds,
    Min,
    Max,
    AggregationTemporality
FROM otel.otlp_metrics_points
WHERE Kind = 3;

-- 0020_otlp_metrics_exponential_histogram_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_exponential_histogram_mv ON CLUSTER otel_cluster
TO otel.otel_metrics_exponential_histogram
AS SELECT
    ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount,
    ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Flags,
    `Exemplars.FilteredAttributes`, `Exemplars.TimeUnix`, `Exemplars.Value`, `Exemplars.SpanId`, `Exemplars.TraceId`,
    Count,
    Sum,
    Scale,
    ZeroCount,
    PositiveOffset,
    PositiveBucketCounts,
    NegativeOffset,
    NegativeBucketCounts,
    Min,
    Max,
    AggregationTemporality
FROM otel.otlp_metrics_points
WHERE Kind = 4;

-- 0021_otlp_metrics_summary_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_summary_mv ON CLUSTER otel_cluster
TO otel.otel_metrics_summary
AS SELECT
    ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount,
    ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Flags,
    Count,
    Sum,
    `ValueAtQuantiles.Quantile`,
    `ValueAtQuantiles.Value`
FROM otel.otlp_metrics_points
WHERE Kind = 5;

-- 0022_otlp_traces_staging_flat
CREATE TABLE IF NOT EXISTS otel.otlp_traces_staging_flat ON CLUSTER otel_cluster
(
    resource_spans Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))),
        scope_spans Array(Tuple(
            scope Tuple(name String, version String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), dropped_attributes_count UInt32),
            spans Array(Tuple(
                trace_id String,
                span_id String,
                trace_state String,
                parent_span_id String,
                name String,
                kind Int32,
                start_time_unix_nano UInt64,
                end_time_unix_nano UInt64,
                attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))),
                events Array(Tuple(time_unix_nano UInt64, name String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))),
                links Array(Tuple(trace_id String, span_id String, trace_state String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))))),
                status Tuple(message String, code Int32)))))))
)
ENGINE = Null;

-- 0023_otlp_traces_mv_flat
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_traces_mv_flat ON CLUSTER otel_cluster
TO otel.otel_traces
AS SELECT
    fromUnixTimestamp64Nano(toInt64(span.start_time_unix_nano)) AS Timestamp,
    lower(hex(span.trace_id)) AS TraceId,
    lower(hex(span.span_id)) AS SpanId,
    replaceRegexpOne(lower(hex(span.parent_span_id)), '^0+\\z', '') AS ParentSpanId,
    span.trace_state AS TraceState,
    span.name AS SpanName,
    if(span.kind BETWEEN 1 AND 5, ['Internal', 'Server', 'Client', 'Producer', 'Consumer'][span.kind], 'Unspecified') AS SpanKind,
    ResourceAttributes['service.name'] AS ServiceName,
    ctx.1 AS ResourceAttributes,
    ctx.2 AS ScopeName,
    ctx.3 AS ScopeVersion,
    arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [span.attributes])[1] AS SpanAttributes,
    if(span.end_time_unix_nano > span.start_time_unix_nano, span.end_time_unix_nano - span.start_time_unix_nano, 0) AS Duration,
    if(span.status.code BETWEEN 1 AND 2, ['Ok', 'Error'][span.status.code], 'Unset') AS StatusCode,
    span.status.message AS StatusMessage,
    arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), span.events) AS `Events.Timestamp`,
    span.events.name AS `Events.Name`,
    arrayMap(e -> arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [e.attributes])[1], span.events) AS `Events.Attributes`,
    arrayMap(l -> replaceRegexpOne(lower(hex(l.trace_id)), '^0+\\z', ''), span.links) AS `Links.TraceId`,
    arrayMap(l -> replaceRegexpOne(lower(hex(l.span_id)), '^0+\\z', ''), span.links) AS `Links.SpanId`,
    span.links.trace_state AS `Links.TraceState`,
    arrayMap(l -> arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [l.attributes])[1], span.links) AS `Links.Attributes`
FROM otel.otlp_traces_staging_flat
-- one ARRAY JOIN over every span (each ARRAY JOIN level copies the data it unnests), beside each
-- span's resource and scope, rendered once per scope and repeated for its spans
ARRAY JOIN
    arrayFlatten(resource_spans.scope_spans.spans) AS span,
    arrayFlatten(arrayMap(rs -> arrayMap(ss -> arrayWithConstant(length(ss.spans),
        (arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [rs.resource.attributes])[1], ss.scope.name, ss.scope.version)),
        rs.scope_spans), resource_spans)) AS ctx;

-- 0024_otlp_logs_staging_flat
CREATE TABLE IF NOT EXISTS otel.otlp_logs_staging_flat ON CLUSTER otel_cluster
(
    resource_logs Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))),
        scope_logs Array(Tuple(
            scope Tuple(name String, version String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), dropped_attributes_count UInt32),
            log_records Array(Tuple(
                time_unix_nano UInt64,
                observed_time_unix_nano UInt64,
                severity_number Int32,
                severity_text String,
                body Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)),
                attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))),
                flags UInt32,
                trace_id String,
                span_id String,
                event_name String)),
            schema_url String)),
        schema_url String))
)
ENGINE = Null;

-- 0025_otlp_logs_mv_flat
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_logs_mv_flat ON CLUSTER otel_cluster
TO otel.otel_logs
AS SELECT
    fromUnixTimestamp64Nano(toInt64(if(rec.time_unix_nano != 0, rec.time_unix_nano, rec.observed_time_unix_nano))) AS Timestamp,
    replaceRegexpOne(lower(hex(rec.trace_id)), '^0+\\z', '') AS TraceId,
    replaceRegexpOne(lower(hex(rec.span_id)), '^0+\\z', '') AS SpanId,
    toUInt8(bitAnd(rec.flags, 255)) AS TraceFlags,
    rec.severity_text AS SeverityText,
    toUInt8(bitAnd(rec.severity_number, 255)) AS SeverityNumber,
    ResourceAttributes['service.name'] AS ServiceName,
    arrayMap(kv -> multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    ''), [tuple('', rec.body)])[1] AS Body,
    ctx.2 AS ResourceSchemaUrl,
    ctx.1 AS ResourceAttributes,
    ctx.3 AS ScopeSchemaUrl,
    ctx.4 AS ScopeName,
    ctx.5 AS ScopeVersion,
    ctx.6 AS ScopeAttributes,
    arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [rec.attributes])[1] AS LogAttributes,
    rec.event_name AS EventName
FROM otel.otlp_logs_staging_flat
-- one ARRAY JOIN over every record (each ARRAY JOIN level copies the data it unnests), beside each
-- record's resource and scope, rendered once per scope and repeated for its records
ARRAY JOIN
    arrayFlatten(resource_logs.scope_logs.log_records) AS rec,
    arrayFlatten(arrayMap(rl -> arrayMap(sl -> arrayWithConstant(length(sl.log_records),
        (arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [rl.resource.attributes])[1], rl.schema_url, sl.schema_url, sl.scope.name,
         sl.scope.version, arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [sl.scope.attributes])[1])),
        rl.scope_logs), resource_logs)) AS ctx;

-- 0026_otlp_metrics_staging_flat
CREATE TABLE IF NOT EXISTS otel.otlp_metrics_staging_flat ON CLUSTER otel_cluster
(
    resource_metrics Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String))))),
        scope_metrics Array(Tuple(
            scope Tuple(name String, version String, attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), dropped_attributes_count UInt32),
            metrics Array(Tuple(
                name String,
                description String,
                unit String,
                gauge Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), start_time_unix_nano UInt64, time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), exemplars Array(Tuple(filtered_attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), span_id String, trace_id String)), flags UInt32))),
                sum Tuple(data_points Array(Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), start_time_unix_nano UInt64, time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), exemplars Array(Tuple(filtered_attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), span_id String, trace_id String)), flags UInt32)), aggregation_temporality Int32, is_monotonic Bool),
                histogram Tuple(
                    data_points Array(Tuple(
                        attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))),
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        bucket_counts Array(UInt64),
                        explicit_bounds Array(Float64),
                        exemplars Array(Tuple(filtered_attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), span_id String, trace_id String)),
                        flags UInt32,
                        min Float64,
                        max Float64)),
                    aggregation_temporality Int32),
                exponential_histogram Tuple(
                    data_points Array(Tuple(
                        attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))),
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        scale Int32,
                        zero_count UInt64,
                        positive Tuple(offset Int32, bucket_counts Array(UInt64)),
                        negative Tuple(offset Int32, bucket_counts Array(UInt64)),
                        flags UInt32,
                        exemplars Array(Tuple(filtered_attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))), time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), span_id String, trace_id String)),
                        min Float64,
                        max Float64)),
                    aggregation_temporality Int32),
                summary Tuple(
                    data_points Array(Tuple(
                        attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))),
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        quantile_values Array(Tuple(quantile Float64, value Float64)),
                        flags UInt32))))),
            schema_url String)),
        schema_url String))
)
ENGINE = Null;

-- 0027_otlp_metrics_points_mv_flat
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_points_mv_flat ON CLUSTER otel_cluster
TO otel.otlp_metrics_points
AS SELECT
    dp.1 AS Kind,
    ctx.1 AS ResourceAttributes,
    ctx.2 AS ResourceSchemaUrl,
    ctx.3 AS ScopeName,
    ctx.4 AS ScopeVersion,
    ctx.5 AS ScopeAttributes,
    ctx.6 AS ScopeDroppedAttrCount,
    ctx.7 AS ScopeSchemaUrl,
    ResourceAttributes['service.name'] AS ServiceName,
    metric.name AS MetricName,
    metric.description AS MetricDescription,
    metric.unit AS MetricUnit,
    arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [dp.2])[1] AS Attributes,
    fromUnixTimestamp64Nano(toInt64(dp.3)) AS StartTimeUnix,
    fromUnixTimestamp64Nano(toInt64(dp.4)) AS TimeUnix,
    dp.5 AS Flags,
    arrayMap(ex -> arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [ex.filtered_attributes])[1], dp.6) AS `Exemplars.FilteredAttributes`,
    arrayMap(ex -> fromUnixTimestamp64Nano(toInt64(ex.time_unix_nano)), dp.6) AS `Exemplars.TimeUnix`,
    arrayMap(ex -> ifNull(ex.as_double, toFloat64(ifNull(ex.as_int, 0))), dp.6) AS `Exemplars.Value`,
    arrayMap(ex -> replaceRegexpOne(lower(hex(ex.span_id)), '^0+\\z', ''), dp.6) AS `Exemplars.SpanId`,
    arrayMap(ex -> replaceRegexpOne(lower(hex(ex.trace_id)), '^0+\\z', ''), dp.6) AS `Exemplars.TraceId`,
    dp.7 AS Value,
    dp.8 AS AggregationTemporality,
    dp.9 AS IsMonotonic,
    dp.10 AS Count,
    dp.11 AS Sum,
    dp.12 AS BucketCounts,
    dp.13 AS ExplicitBounds,
    dp.14 AS Scale,
    dp.15 AS ZeroCount,
    dp.16 AS PositiveOffset,
    dp.17 AS PositiveBucketCounts,
    dp.18 AS NegativeOffset,
    dp.19 AS NegativeBucketCounts,
    dp.20 AS Min,
    dp.21 AS Max,
    dp.22 AS `ValueAtQuantiles.Quantile`,
    dp.23 AS `ValueAtQuantiles.Value`
FROM otel.otlp_metrics_staging_flat
-- one ARRAY JOIN over every metric (each ARRAY JOIN level copies the data it unnests), beside each
-- metric's resource and scope, rendered once per scope and repeated for its metrics
ARRAY JOIN
    arrayFlatten(resource_metrics.scope_metrics.metrics) AS metric,
    arrayFlatten(arrayMap(rm -> arrayMap(sm -> arrayWithConstant(length(sm.metrics),
        (arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [rm.resource.attributes])[1], rm.schema_url, sm.scope.name, sm.scope.version,
         arrayMap(a -> arrayMap(p -> CAST(arrayMap(x -> (x.1, x.3), arrayFilter((x, n) -> x.1 != n, p, arrayShiftLeft(p.1, 1, concat(p[-1].1, '.')))), 'Map(String, String)'),
    [arraySort(arrayMap((kv, i) -> (kv.1, i, multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    '')), a, arrayEnumerate(a)))])[1], [sm.scope.attributes])[1], sm.scope.dropped_attributes_count, sm.schema_url)),
        rm.scope_metrics), resource_metrics)) AS ctx
-- every kind's points as one list of one tuple shape, so the maps are rendered by one expression each:
-- (kind, attributes, start, time, flags, exemplars, value, temporality, monotonic, count, sum,
--  bucket counts, bounds, scale, zero count, +offset, +buckets, -offset, -buckets, min, max, quantiles, values)
ARRAY JOIN arrayConcat(
    arrayMap(p -> (1, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, p.exemplars,
        ifNull(p.as_double, toFloat64(ifNull(p.as_int, 0))), 0, false, 0, 0, [], [], 0, 0, 0, [], 0, [], 0, 0, [], []),
        metric.gauge.data_points),
    arrayMap(p -> (2, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, p.exemplars,
        ifNull(p.as_double, toFloat64(ifNull(p.as_int, 0))), metric.sum.aggregation_temporality, metric.sum.is_monotonic,
        0, 0, [], [], 0, 0, 0, [], 0, [], 0, 0, [], []),
        metric.sum.data_points),
    arrayMap(p -> (3, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, p.exemplars,
        0, metric.histogram.aggregation_temporality, false, p.count, p.sum, p.bucket_counts, p.explicit_bounds,
        0, 0, 0, [], 0, [], p.min, p.max, [], []),
        metric.histogram.data_points),
    arrayMap(p -> (4, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, p.exemplars,
        0, metric.exponential_histogram.aggregation_temporality, false, p.count, p.sum, [], [],
        p.scale, p.zero_count, p.positive.offset, p.positive.bucket_counts, p.negative.offset, p.negative.bucket_counts,
        p.min, p.max, [], []),
        metric.exponential_histogram.data_points),
    arrayMap(p -> (5, p.attributes, p.start_time_unix_nano, p.time_unix_nano, p.flags, [],
        0, 0, false, p.count, p.sum, [], [], 0, 0, 0, [], 0, [], 0, 0, p.quantile_values.quantile, p.quantile_values.value),
        metric.summary.data_points)) AS dp;

-- 0028_otelhouse_archives
CREATE TABLE IF NOT EXISTS otel.otelhouse_archives_local ON CLUSTER otel_cluster
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otelhouse_archives_local', '{replica}')
ORDER BY (id, version);
CREATE TABLE IF NOT EXISTS otel.otelhouse_archives ON CLUSTER otel_cluster AS otel.otelhouse_archives_local ENGINE = Distributed(otel_cluster, otel, otelhouse_archives_local, rand());

-- 0029_otel_traces_rolling
CREATE TABLE IF NOT EXISTS otel.otel_traces_rolling_local ON CLUSTER otel_cluster
(
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested
    (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested
    (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_traces_rolling_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_traces_rolling ON CLUSTER otel_cluster AS otel.otel_traces_rolling_local ENGINE = Distributed(otel_cluster, otel, otel_traces_rolling_local, rand());

-- 0030_otel_logs_rolling
CREATE TABLE IF NOT EXISTS otel.otel_logs_rolling_local ON CLUSTER otel_cluster
(
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_logs_rolling_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_logs_rolling ON CLUSTER otel_cluster AS otel.otel_logs_rolling_local ENGINE = Distributed(otel_cluster, otel, otel_logs_rolling_local, rand());

-- 0031_otel_metrics_gauge_rolling
CREATE TABLE IF NOT EXISTS otel.otel_metrics_gauge_rolling_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_gauge_rolling_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_gauge_rolling ON CLUSTER otel_cluster AS otel.otel_metrics_gauge_rolling_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_gauge_rolling_local, rand());

-- 0032_otel_metrics_sum_rolling
CREATE TABLE IF NOT EXISTS otel.otel_metrics_sum_rolling_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Bool CODEC(Delta(1), ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_sum_rolling_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_sum_rolling ON CLUSTER otel_cluster AS otel.otel_metrics_sum_rolling_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_sum_rolling_local, rand());

-- 0033_otel_metrics_histogram_rolling
CREATE TABLE IF NOT EXISTS otel.otel_metrics_histogram_rolling_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Count UInt64 CODEC(Delta(8), ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_histogram_rolling_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_histogram_rolling ON CLUSTER otel_cluster AS otel.otel_metrics_histogram_rolling_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_histogram_rolling_local, rand());

-- 0034_otel_metrics_exponential_histogram_rolling
CREATE TABLE IF NOT EXISTS otel.otel_metrics_exponential_histogram_rolling_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Count UInt64 CODEC(Delta(8), ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_exponential_histogram_rolling_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_exponential_histogram_rolling ON CLUSTER otel_cluster AS otel.otel_metrics_exponential_histogram_rolling_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_exponential_histogram_rolling_local, rand());

-- 0035_otel_metrics_summary_rolling
CREATE TABLE IF NOT EXISTS otel.otel_metrics_summary_rolling_local ON CLUSTER otel_cluster
(
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Count UInt64 CODEC(Delta(8), ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested
    (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_metrics_summary_rolling_local', '{replica}')
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_metrics_summary_rolling ON CLUSTER otel_cluster AS otel.otel_metrics_summary_rolling_local ENGINE = Distributed(otel_cluster, otel, otel_metrics_summary_rolling_local, rand());

-- 0036_otel_logs_restored
CREATE TABLE IF NOT EXISTS otel.otel_logs_restored_local ON CLUSTER otel_cluster
(
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otel_logs_restored_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otel_logs_restored ON CLUSTER otel_cluster AS otel.otel_logs_restored_local ENGINE = Distributed(otel_cluster, otel, otel_logs_restored_local, rand());

-- 0037_otel_logs_all
CREATE TABLE IF NOT EXISTS otel.otel_logs_all ON CLUSTER otel_cluster AS otel.otel_logs
ENGINE = Merge(otel, '^otel_logs(_rolling|_restored)?\\z');

-- 0038_otelhouse_metrics_rollup_hourly
CREATE TABLE IF NOT EXISTS otel.otelhouse_metrics_rollup_hourly_local ON CLUSTER otel_cluster
(
    Bucket DateTime CODEC(Delta(4), ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricType LowCardinality(String) CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Count UInt64 CODEC(ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    Last Float64 CODEC(ZSTD(1)),
    LastTime DateTime64(9) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1))
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otelhouse_metrics_rollup_hourly_local', '{replica}')
PARTITION BY toYYYYMM(Bucket)
ORDER BY (ServiceName, MetricName, Bucket, cityHash64(Attributes))

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otelhouse_metrics_rollup_hourly ON CLUSTER otel_cluster AS otel.otelhouse_metrics_rollup_hourly_local ENGINE = Distributed(otel_cluster, otel, otelhouse_metrics_rollup_hourly_local, rand());

-- 0039_otelhouse_metrics_rollup_daily
CREATE TABLE IF NOT EXISTS otel.otelhouse_metrics_rollup_daily_local ON CLUSTER otel_cluster
(
    Bucket DateTime CODEC(Delta(4), ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricType LowCardinality(String) CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Count UInt64 CODEC(ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    Last Float64 CODEC(ZSTD(1)),
    LastTime DateTime64(9) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1))
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/otel/otelhouse_metrics_rollup_daily_local', '{replica}')
PARTITION BY toYYYYMM(Bucket)
ORDER BY (ServiceName, MetricName, Bucket, cityHash64(Attributes))

SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS otel.otelhouse_metrics_rollup_daily ON CLUSTER otel_cluster AS otel.otelhouse_metrics_rollup_daily_local ENGINE = Distributed(otel_cluster, otel, otelhouse_metrics_rollup_daily_local, rand());

-- 0040_prom_write_staging
CREATE TABLE IF NOT EXISTS otel.prom_write_staging ON CLUSTER otel_cluster
(
    timeseries Array(Tuple(
        labels Array(Tuple(name String, value String)),
        samples Array(Tuple(value Float64, timestamp Int64)))),
    otelhouse_low_ms Int64,
    otelhouse_high_ms Int64,
    otelhouse_kinds Array(Tuple(name String, kind UInt8, help String, unit String))
)
ENGINE = Null;

-- 0041_otlp_metrics_points_prom
CREATE TABLE IF NOT EXISTS otel.otlp_metrics_points_prom ON CLUSTER otel_cluster
(
    Kind UInt8,
    ResourceAttributes Map(String, String),
    ResourceSchemaUrl String,
    ScopeName String,
    ScopeVersion String,
    ScopeAttributes Map(String, String),
    ScopeDroppedAttrCount UInt32,
    ScopeSchemaUrl String,
    ServiceName String,
    MetricName String,
    MetricDescription String,
    MetricUnit String,
    Attributes Map(String, String),
    StartTimeUnix DateTime64(9),
    TimeUnix DateTime64(9),
    Flags UInt32,
    `Exemplars.FilteredAttributes` Array(Map(String, String)),
    `Exemplars.TimeUnix` Array(DateTime64(9)),
    `Exemplars.Value` Array(Float64),
    `Exemplars.SpanId` Array(String),
    `Exemplars.TraceId` Array(String),
    Value Float64,
    AggregationTemporality Int32,
    IsMonotonic Bool,
    Count UInt64,
    Sum Float64,
    BucketCounts Array(UInt64),
    ExplicitBounds Array(Float64),
    Scale Int32,
    ZeroCount UInt64,
    PositiveOffset Int32,
    PositiveBucketCounts Array(UInt64),
    NegativeOffset Int32,
    NegativeBucketCounts Array(UInt64),
    Min Float64,
    Max Float64,
    `ValueAtQuantiles.Quantile` Array(Float64),
    `ValueAtQuantiles.Value` Array(Float64)
)
ENGINE = Null;

-- 0042_otlp_metrics_gauge_mv_prom
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_gauge_mv_prom ON CLUSTER otel_cluster
TO otel.otel_metrics_gauge
AS SELECT
    ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount,
    ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Flags,
    `Exemplars.FilteredAttributes`, `Exemplars.TimeUnix`, `Exemplars.Value`, `Exemplars.SpanId`, `Exemplars.TraceId`,
    Value
FROM otel.otlp_metrics_points_prom
WHERE Kind = 1;

-- 0043_otlp_metrics_sum_mv_prom
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otlp_metrics_sum_mv_prom ON CLUSTER otel_cluster
TO otel.otel_metrics_sum
AS SELECT
    ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount,
    ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix, Flags,
    `Exemplars.FilteredAttributes`, `Exemplars.TimeUnix`, `Exemplars.Value`, `Exemplars.SpanId`, `Exemplars.TraceId`,
    Value,
    AggregationTemporality,
    IsMonotonic
FROM otel.otlp_metrics_points_prom
WHERE Kind = 2;

-- 0044_prom_write_mv
CREATE MATERIALIZED VIEW IF NOT EXISTS otel.prom_write_mv ON CLUSTER otel_cluster
TO otel.otlp_metrics_points_prom
-- the rows remote_write.to_otlp maps a WriteRequest to (collector/prometheus/direct.py): a point per
-- sample inside the accepted window; labels with empty values dropped, the last of a repeated name
-- kept, sorted; job and instance as the resource's service.name and service.instance.id; the kind,
-- HELP and UNIT the collector resolved for the name; a staleness marker (NaN 0x7ff0000000000002)
-- flagged FLAG_NO_RECORDED_VALUE. Columns left out take their defaults, as the OTLP rendering has them.
AS SELECT
    kind.2 AS Kind,
    CAST(arrayFilter(kv -> kv.2 != '', [('service.instance.id', instance), ('service.name', job)]),
         'Map(String, String)') AS ResourceAttributes,
    'otelhouse/prometheus' AS ScopeName,
    job AS ServiceName,
    kind.1 AS MetricName,
    kind.3 AS MetricDescription,
    kind.4 AS MetricUnit,
    attributes AS Attributes,
    fromUnixTimestamp64Nano(sample.2 * 1000000) AS TimeUnix,
    toUInt32(reinterpretAsUInt64(sample.1) = 9218868437227405314) AS Flags,
    sample.1 AS Value,
    if(kind.2 = 2, 2, 0) AS AggregationTemporality,
    kind.2 = 2 AS IsMonotonic
-- a row per series first (its labels and kind worked out once), then a row per sample
FROM
(
    SELECT
        otelhouse_low_ms AS low,
        otelhouse_high_ms AS high,
        ts.samples AS samples,
        otelhouse_kinds[indexOf(otelhouse_kinds.name, tupleElement(ts.labels[1], 2))] AS kind,
        -- the labels with a value as (name, position, value), sorted, the last of each name kept
        arrayFilter(l -> l.2 != '', ts.labels) AS valued,
        arraySort(arrayMap((l, i) -> (l.1, i, l.2), valued, arrayEnumerate(valued))) AS sorted,
        arrayFilter((x, next) -> x.1 != next, sorted, arrayShiftLeft(sorted.1, 1, concat(sorted[-1].1, '.'))) AS d,
        arrayFirst(x -> x.1 = 'job', d).3 AS job,
        arrayFirst(x -> x.1 = 'instance', d).3 AS instance,
        CAST(arrayMap(x -> (x.1, x.3), arrayFilter(x -> x.1 NOT IN ('__name__', 'job', 'instance'), d)),
             'Map(String, String)') AS attributes
    FROM otel.prom_write_staging
    ARRAY JOIN timeseries AS ts
)
ARRAY JOIN samples AS sample
WHERE sample.2 BETWEEN low AND high;

-- 0045_otelhouse_service_edges
CREATE TABLE IF NOT EXISTS otel.otelhouse_service_edges_local ON CLUSTER otel_cluster
(
    Minute DateTime CODEC(Delta(4), ZSTD(1)),
    Caller LowCardinality(String) CODEC(ZSTD(1)),
    Callee LowCardinality(String) CODEC(ZSTD(1)),
    Calls UInt64 CODEC(ZSTD(1)),
    Errors UInt64 CODEC(ZSTD(1)),
    Durations Map(UInt16, UInt64) CODEC(ZSTD(1))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/otel/otelhouse_service_edges_local', '{replica}')
PARTITION BY toDate(Minute)
ORDER BY (Minute, Caller, Callee)
TTL toDateTime(Minute) + toIntervalDay(30)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
CREATE TABLE IF NOT EXISTS otel.otelhouse_service_edges ON CLUSTER otel_cluster AS otel.otelhouse_service_edges_local ENGINE = Distributed(otel_cluster, otel, otelhouse_service_edges_local, cityHash64(Minute, Caller, Callee));

-- 0046_otelhouse_service_edges_rolled
CREATE TABLE IF NOT EXISTS otel.otelhouse_service_edges_rolled_local ON CLUSTER otel_cluster
(
    Minute DateTime CODEC(Delta(4), ZSTD(1)),
    RolledAt DateTime64(3) CODEC(ZSTD(1))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/otel/otelhouse_service_edges_rolled_local', '{replica}')
PARTITION BY toDate(Minute)
ORDER BY Minute
TTL toDateTime(Minute) + toIntervalDay(30)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
CREATE TABLE IF NOT EXISTS otel.otelhouse_service_edges_rolled ON CLUSTER otel_cluster AS otel.otelhouse_service_edges_rolled_local ENGINE = Distributed(otel_cluster, otel, otelhouse_service_edges_rolled_local, cityHash64(Minute));

-- 0047_otelhouse_service_red
CREATE TABLE IF NOT EXISTS otel.otelhouse_service_red_local ON CLUSTER otel_cluster
(
    Slot DateTime CODEC(Delta(4), ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Calls UInt64 CODEC(ZSTD(1)),
    Errors UInt64 CODEC(ZSTD(1)),
    DurationBuckets Map(UInt16, UInt64) CODEC(ZSTD(1))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/otel/otelhouse_service_red_local', '{replica}')
PARTITION BY toDate(Slot)
ORDER BY (Slot, ServiceName)
TTL toDateTime(Slot) + toIntervalDay(30)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
CREATE TABLE IF NOT EXISTS otel.otelhouse_service_red ON CLUSTER otel_cluster AS otel.otelhouse_service_red_local ENGINE = Distributed(otel_cluster, otel, otelhouse_service_red_local, cityHash64(ServiceName, Slot));
