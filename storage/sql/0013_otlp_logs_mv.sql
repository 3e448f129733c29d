CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_logs_mv ${on_cluster}
TO ${db}.otel_logs
AS SELECT
    fromUnixTimestamp64Nano(toInt64(if(rec.time_unix_nano != 0, rec.time_unix_nano, rec.observed_time_unix_nano))) AS Timestamp,
    replaceRegexpOne(lower(hex(rec.trace_id)), '^0+\\z', '') AS TraceId,
    replaceRegexpOne(lower(hex(rec.span_id)), '^0+\\z', '') AS SpanId,
    toUInt8(bitAnd(rec.flags, 255)) AS TraceFlags,
    rec.severity_text AS SeverityText,
    toUInt8(bitAnd(rec.severity_number, 255)) AS SeverityNumber,
    ResourceAttributes['service.name'] AS ServiceName,
    arrayMap(kv -> ${otlp_text}, [tuple('', rec.body)])[1] AS Body,
    rl.schema_url AS ResourceSchemaUrl,
    ${otlp_map_begin}rl.resource.attributes${otlp_map_end} AS ResourceAttributes,
    sl.schema_url AS ScopeSchemaUrl,
    sl.scope.name AS ScopeName,
    sl.scope.version AS ScopeVersion,
    ${otlp_map_begin}sl.scope.attributes${otlp_map_end} AS ScopeAttributes,
    ${otlp_map_begin}rec.attributes${otlp_map_end} AS LogAttributes,
    rec.event_name AS EventName
FROM ${db}.otlp_logs_staging
ARRAY JOIN resource_logs AS rl
ARRAY JOIN rl.scope_logs AS sl
ARRAY JOIN sl.log_records AS rec
