"""OTLP decoding shared by the HTTP and gRPC receivers: pure functions, no I/O."""
