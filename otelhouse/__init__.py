"""otelhouse: a self-hosted observability stack on ClickHouse."""

__version__ = "0.1.0"
