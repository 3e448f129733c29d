CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.otlp_traces_mv${flat} ${on_cluster}
TO ${db}.otel_traces
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
    ${otlp_map_begin}span.attributes${otlp_map_end} AS SpanAttributes,
    if(span.end_time_unix_nano > span.start_time_unix_nano, span.end_time_unix_nano - span.start_time_unix_nano, 0) AS Duration,
    if(span.status.code BETWEEN 1 AND 2, ['Ok', 'Error'][span.status.code], 'Unset') AS StatusCode,
    span.status.message AS StatusMessage,
    arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), span.events) AS `Events.Timestamp`,
    span.events.name AS `Events.Name`,
    arrayMap(e -> ${otlp_map_begin}e.attributes${otlp_map_end}, span.events) AS `Events.Attributes`,
    arrayMap(l -> replaceRegexpOne(lower(hex(l.trace_id)), '^0+\\z', ''), span.links) AS `Links.TraceId`,
    arrayMap(l -> replaceRegexpOne(lower(hex(l.span_id)), '^0+\\z', ''), span.links) AS `Links.SpanId`,
    span.links.trace_state AS `Links.TraceState`,
    arrayMap(l -> ${otlp_map_begin}l.attributes${otlp_map_end}, span.links) AS `Links.Attributes`
FROM ${db}.otlp_traces_staging${flat}
-- one ARRAY JOIN over every span (each ARRAY JOIN level copies the data it unnests), beside each
-- span's resource and scope, rendered once per scope and repeated for its spans
ARRAY JOIN
    arrayFlatten(resource_spans.scope_spans.spans) AS span,
    arrayFlatten(arrayMap(rs -> arrayMap(ss -> arrayWithConstant(length(ss.spans),
        (${otlp_map_begin}rs.resource.attributes${otlp_map_end}, ss.scope.name, ss.scope.version)),
        rs.scope_spans), resource_spans)) AS ctx
