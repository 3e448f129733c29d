"""Loki push API: decode push requests (snappy protobuf or JSON) and map their streams to OTel log records."""
