"""Jaeger ingest: Thrift batches over HTTP (collector) and UDP (agent), mapped to OTLP spans."""
