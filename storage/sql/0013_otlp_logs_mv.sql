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
    ctx.2 AS ResourceSchemaUrl,
    ctx.1 AS ResourceAttributes,
    ctx.3 AS ScopeSchemaUrl,
    ctx.4 AS ScopeName,
    ctx.5 AS ScopeVersion,
    ctx.6 AS ScopeAttributes,
    ${otlp_map_begin}rec.attributes${otlp_map_end} AS LogAttributes,
    rec.event_name AS EventName
FROM ${db}.otlp_logs_staging${flat}
-- one ARRAY JOIN over every record (each ARRAY JOIN level copies the data it unnests), beside each
-- record's resource and scope, rendered once per scope and repeated for its records
ARRAY JOIN
    arrayFlatten(resource_logs.scope_logs.log_records) AS rec,
    arrayFlatten(arrayMap(rl -> arrayMap(sl -> arrayWithConstant(length(sl.log_records),
        (${otlp_map_begin}rl.resource.attributes${otlp_map_end}, rl.schema_url, sl.schema_url, sl.scope.name,
         sl.scope.version, ${otlp_map_begin}sl.scope.attributes${otlp_map_end})),
        rl.scope_logs), resource_logs)) AS ctx
