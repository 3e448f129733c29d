Tuple(attributes ${otlp_attributes}, start_time_unix_nano UInt64, time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), ${otlp_exemplars}, flags UInt32)
