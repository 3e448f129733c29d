CREATE TABLE IF NOT EXISTS ${db}.otlp_traces_staging${flat} ${on_cluster}
(
    resource_spans Array(Tuple(
        ${otlp_resource},
        scope_spans Array(Tuple(
            ${otlp_scope},
            spans Array(Tuple(
                trace_id String,
                span_id String,
                trace_state String,
                parent_span_id String,
                name String,
                kind Int32,
                start_time_unix_nano UInt64,
                end_time_unix_nano UInt64,
                attributes ${otlp_attributes},
                events Array(Tuple(time_unix_nano UInt64, name String, attributes ${otlp_attributes})),
                links Array(Tuple(trace_id String, span_id String, trace_state String, attributes ${otlp_attributes})),
                status Tuple(message String, code Int32)))))))
)
ENGINE = Null
