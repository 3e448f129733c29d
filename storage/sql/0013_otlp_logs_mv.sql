CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_logs_mv${flat} ${on_cluster}
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
    r_schema_url AS ResourceSchemaUrl,
    ${otlp_map_begin}r_attributes${otlp_map_end} AS ResourceAttributes,
    s_schema_url AS ScopeSchemaUrl,
    scope.name AS ScopeName,
    scope.version AS ScopeVersion,
    ${otlp_map_begin}scope.attributes${otlp_map_end} AS ScopeAttributes,
    ${otlp_map_begin}rec.attributes${otlp_map_end} AS LogAttributes,
    rec.event_name AS EventName
FROM ${db}.otlp_logs_staging${flat}
ARRAY JOIN resource_logs.resource.attributes AS r_attributes, resource_logs.schema_url AS r_schema_url, resource_logs.scope_logs.scope AS scopes,
    resource_logs.scope_logs.schema_url AS s_schema_urls, resource_logs.scope_logs.log_records AS recs2
ARRAY JOIN scopes AS scope, s_schema_urls AS s_schema_url, recs2 AS recs
ARRAY JOIN recs AS rec
