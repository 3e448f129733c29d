scope Tuple(name String, version String, attributes ${otlp_attributes}, dropped_attributes_count UInt32)
