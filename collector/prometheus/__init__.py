"""Prometheus ingest: scrape jobs and the remote_write receiver, both turned into OTLP metrics."""
