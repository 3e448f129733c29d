"""Debian's Prometheus scrapes node-exporter and remote-writes to otelhouse; the samples must match."""

from __future__ import annotations

import math
import struct
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.collector.prometheus.peers import node_exporter, prometheus, prometheus_query, select, wait_scrapes

STORED = """
SELECT MetricName, ServiceName, ResourceAttributes['service.instance.id'], Attributes,
       toUnixTimestamp64Milli(TimeUnix), Value, 'KIND'
FROM {db}.otel_metrics_KIND
WHERE ServiceName = 'node' AND TimeUnix <= fromUnixTimestamp64Milli({until:Int64})
"""


def remote_write_paths(live) -> dict[str, float]:
    """The collector's count of remote-write requests per path (clickhouse / python)."""
    with urllib.request.urlopen(f"{live.http_url}/metrics", timeout=10) as r:
        families = text_string_to_metric_families(r.read().decode())
    return {
        s.labels["path"]: s.value
        for f in families
        if f.name == "otelhouse_collector_remote_write_requests"
        for s in f.samples
        if s.name.endswith("_total")
    }


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def stored_samples(live, until_ms: int) -> dict[tuple, tuple[float, str]]:
    """(name, labels, timestamp ms) -> (value, table kind) for everything otelhouse stored from job node."""
    out = {}
    for kind in ("gauge", "sum"):
        for name, job, instance, attrs, ts, value, k in select(live, STORED.replace("KIND", kind), until=until_ms):
            labels = frozenset({**attrs, "__name__": name, "job": job, "instance": instance}.items())
            out[(labels, ts)] = (value, k)
    return out


@pytest.mark.slow
def test_remote_written_samples_equal_prometheus_own(live, tmp_path):
    with node_exporter(tmp_path) as target:
        config = f"""
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ['{target}']}}]
remote_write:
  - url: {live.http_url}/api/v1/write
    queue_config: {{batch_send_deadline: 500ms, max_shards: 2}}
    metadata_config: {{send_interval: 1s}}
"""
        with prometheus(tmp_path, config) as prom:
            wait_scrapes(prom, "node", 4)
            until = time.time() - 1.5
            expected = prometheus_query(prom, '{job="node"}[10s]', until)
            want = {
                (frozenset(r["metric"].items()), round(float(t) * 1000)): float(v)
                for r in expected
                for t, v in r["values"]
            }
            deadline = time.monotonic() + 30
            while True:
                got = stored_samples(live, round(until * 1000))
                missing = [k for k in want if k not in got]
                if not missing or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
    assert len(want) > 1000, "node-exporter should give over a thousand samples in 3 scrapes"
    assert not missing, f"{len(missing)} of {len(want)} samples missing, e.g. {sorted(missing, key=str)[:3]}"
    # bit-exact: the stored double is Prometheus' double (NaN compared by bits too)
    unequal = [
        k for k, v in want.items() if bits(got[k][0]) != bits(v) and not (math.isnan(v) and math.isnan(got[k][0]))
    ]
    assert not unequal, f"{len(unequal)} values differ, e.g. {unequal[:3]}"
    kinds = {dict(labels)["__name__"]: kind for (labels, _), (_, kind) in got.items()}
    assert kinds["node_cpu_seconds_total"] == "sum"
    assert kinds["node_load1"] == "gauge"
    assert kinds["up"] == "gauge"
    rows = select(
        live,
        "SELECT DISTINCT IsMonotonic, AggregationTemporality FROM {db}.otel_metrics_sum "
        "WHERE MetricName = 'node_cpu_seconds_total'",
    )
    assert rows == [(True, 2)]
    # real Prometheus traffic (series and metadata requests) all took the ClickHouse decode
    paths = remote_write_paths(live)
    assert paths.get("clickhouse", 0) > 0 and not paths.get("python"), paths
