resource Tuple(attributes ${otlp_attributes})
