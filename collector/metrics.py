"""The collector's own Prometheus metrics, in a registry per app so tests can run several."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

_SIZE_BUCKETS = (1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000)
_LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class CollectorMetrics:
    """Counters and histograms for requests, items, batches, queue depth and insert errors."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        p = "otelhouse_collector_"
        self.requests = Counter(
            p + "requests",
            "Ingest requests by signal, protocol and outcome",
            ["signal", "protocol", "code"],
            registry=r,
        )
        self.items_received = Counter(
            p + "items_received",
            "Items (spans, log records, points) received",
            ["signal", "protocol"],
            registry=r,
        )
        self.items_accepted = Counter(
            p + "items_accepted", "Items accepted for storage", ["signal", "protocol"], registry=r
        )
        self.items_rejected = Counter(
            p + "items_rejected",
            "Items rejected as invalid (partial success)",
            ["signal", "protocol"],
            registry=r,
        )
        self.request_seconds = Histogram(
            p + "request_duration_seconds",
            "Ingest request latency until acknowledged",
            ["signal", "protocol"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_items = Histogram(
            p + "batch_items", "Items per insert batch", ["signal"], buckets=_SIZE_BUCKETS, registry=r
        )
        self.flush_seconds = Histogram(
            p + "flush_duration_seconds",
            "Time to insert one batch",
            ["signal"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_items = Gauge(p + "queue_items", "Items waiting to be written", ["signal"], registry=r)
        self.queue_bytes = Gauge(p + "queue_bytes", "Payload bytes waiting to be written", ["signal"], registry=r)
        self.insert_errors = Counter(
            p + "insert_errors",
            "Failed inserts by kind (unavailable: retried; rejected: dropped)",
            ["signal", "kind"],
            registry=r,
        )
        self.background_errors = Counter(
            p + "background_errors",
            "Failures of a background part (a signal's writer, the checkpoint), each retried, by kind",
            ["part", "kind"],
            registry=r,
        )
        self.healthy = Gauge(
            p + "healthy", "1 while a background part's last attempt succeeded, else 0", ["part"], registry=r
        )
        self.store_sync_seconds = Histogram(
            p + "store_sync_duration_seconds",
            "Time to sync the store's folder before releasing stored batches from the write-ahead log",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.items_stored = Counter(p + "items_stored", "Items written to ClickHouse", ["signal"], registry=r)
        self.values_truncated = Counter(
            p + "values_truncated",
            "String values (attributes, names, log bodies) truncated to their length limit",
            ["signal"],
            registry=r,
        )
        self.strings_repaired = Counter(
            p + "strings_repaired", "String fields whose invalid UTF-8 was replaced with U+FFFD", ["signal"], registry=r
        )
        self.auth_failures = Counter(
            p + "auth_failures",
            "Requests refused for a missing or wrong ingest key",
            ["protocol"],
            registry=r,
        )
        self.client_events = Counter(
            p + "client_events",
            "Client-side events, never server errors: disconnects, stalls cut by a timeout, connections refused",
            ["protocol", "reason"],
            registry=r,
        )
        r.register(LogCollector())
        self.body_bytes_held = Gauge(
            p + "body_bytes_held", "Request-body bytes held now, against collector.max_inflight_body_bytes", registry=r
        )


class LogCollector(Collector):
    """Exposes how many of otelhouse's own log lines the rate cap dropped."""

    def collect(self) -> Iterator[CounterMetricFamily]:
        from otelhouse.logs import suppressed_lines

        yield CounterMetricFamily(
            "otelhouse_log_lines_suppressed", "Log lines dropped by log.max_lines_per_s", value=suppressed_lines()
        )


class WalCollector(Collector):
    """Exposes the write-ahead log's backlog (bytes, oldest age, corrupt records) at scrape time."""

    def __init__(self, stats: Callable[[], dict[str, dict[str, float]]]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[GaugeMetricFamily]:
        p = "otelhouse_collector_wal_"
        families = {
            "records": GaugeMetricFamily(p + "backlog_records", "Records logged but not yet stored", labels=["signal"]),
            "bytes": GaugeMetricFamily(p + "backlog_bytes", "Bytes logged but not yet stored", labels=["signal"]),
            "oldest_age_s": GaugeMetricFamily(
                p + "oldest_age_seconds", "Age of the oldest record not yet stored", labels=["signal"]
            ),
            "corrupt_records": GaugeMetricFamily(
                p + "corrupt_records", "Corrupt records skipped since start", labels=["signal"]
            ),
        }
        for signal, values in self.stats().items():
            for key, family in families.items():
                family.add_metric([signal], values[key])
        yield from families.values()
