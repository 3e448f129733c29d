CREATE TABLE IF NOT EXISTS ${db}.otlp_metrics_staging${flat} ${on_cluster}
(
    resource_metrics Array(Tuple(
        ${otlp_resource},
        scope_metrics Array(Tuple(
            ${otlp_scope},
            metrics Array(Tuple(
                name String,
                description String,
                unit String,
                gauge Tuple(data_points Array(${otlp_number_point})),
                sum Tuple(data_points Array(${otlp_number_point}), aggregation_temporality Int32, is_monotonic Bool),
                histogram Tuple(
                    data_points Array(Tuple(
                        attributes ${otlp_attributes},
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        bucket_counts Array(UInt64),
                        explicit_bounds Array(Float64),
                        ${otlp_exemplars},
                        flags UInt32,
                        min Float64,
                        max Float64)),
                    aggregation_temporality Int32),
                exponential_histogram Tuple(
                    data_points Array(Tuple(
                        attributes ${otlp_attributes},
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        scale Int32,
                        zero_count UInt64,
                        positive Tuple(offset Int32, bucket_counts Array(UInt64)),
                        negative Tuple(offset Int32, bucket_counts Array(UInt64)),
                        flags UInt32,
                        ${otlp_exemplars},
                        min Float64,
                        max Float64)),
                    aggregation_temporality Int32),
                summary Tuple(
                    data_points Array(Tuple(
                        attributes ${otlp_attributes},
                        start_time_unix_nano UInt64,
                        time_unix_nano UInt64,
                        count UInt64,
                        sum Float64,
                        quantile_values Array(Tuple(quantile Float64, value Float64)),
                        flags UInt32))))),
            schema_url String)),
        schema_url String))
)
ENGINE = Null
