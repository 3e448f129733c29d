Array(Tuple(key String, value ${otlp_anyvalue}))
