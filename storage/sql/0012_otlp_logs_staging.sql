CREATE TABLE IF NOT EXISTS ${db}.otlp_logs_staging${flat} ${on_cluster}
(
    resource_logs Array(Tuple(
        ${otlp_resource},
        scope_logs Array(Tuple(
            ${otlp_scope},
            log_records Array(Tuple(
                time_unix_nano UInt64,
                observed_time_unix_nano UInt64,
                severity_number Int32,
                severity_text String,
                body ${otlp_anyvalue},
                attributes ${otlp_attributes},
                flags UInt32,
                trace_id String,
                span_id String,
                event_name String)),
            schema_url String)),
        schema_url String))
)
ENGINE = Null
