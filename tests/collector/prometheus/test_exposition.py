"""Pure mapping of expositions and scrape-job settings (no I/O)."""

from __future__ import annotations

import math

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from collector.prometheus import exposition, otlp
from collector.prometheus.scheduler import missed_ticks, spread_offset
from collector.prometheus.scrape import TargetState, build
from otelhouse.config import ConfigError, load_settings
from otelhouse.config.scrape import ScrapeJob

TEXT = """# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{queue="a",job="inner"} 7 1700000000123
# TYPE lat histogram
lat_bucket{le="0.1"} 1
lat_bucket{le="1"} 3
lat_bucket{le="+Inf"} 4
lat_sum 2.5
lat_count 4
# TYPE rpc summary
rpc{quantile="0.5"} 0.2
rpc{quantile="0.9"} 0.7
rpc_sum 9
rpc_count 20
temp 21.5
"""


def metrics_of(body: bytes) -> dict[str, object]:
    request = ExportMetricsServiceRequest.FromString(body)
    return {m.name: (rm, m) for rm in request.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}


def state(**job) -> TargetState:
    return TargetState(ScrapeJob(name="shop", targets=("h:1",), labels={"env": "p"}, **job), "h:1")


def test_text_exposition_maps_as_the_otel_receiver_does():
    metrics = metrics_of(build(state(), TEXT, "text/plain; version=0.0.4", 1_800_000_000_000_000_000, 0.05))
    rm, counter = metrics["jobs_total"]
    resource = {kv.key: kv.value.string_value for kv in rm.resource.attributes}
    assert resource == {"service.name": "shop", "service.instance.id": "h:1"}
    point = counter.sum.data_points[0]
    assert counter.sum.is_monotonic and counter.sum.aggregation_temporality == otlp.CUMULATIVE
    assert counter.description == "Jobs done."
    assert point.time_unix_nano == 1_700_000_000_123_000_000, "exposition milliseconds kept exactly"
    attrs = {kv.key: kv.value.string_value for kv in point.attributes}
    assert attrs == {"queue": "a", "exported_job": "inner", "env": "p"}, "a clashing label is kept as exported_"
    hist = metrics["lat"][1].histogram.data_points[0]
    assert (list(hist.explicit_bounds), list(hist.bucket_counts), hist.count, hist.sum) == (
        [0.1, 1.0],
        [1, 2, 1],
        4,
        2.5,
    )
    summary = metrics["rpc"][1].summary.data_points[0]
    assert [(q.quantile, q.value) for q in summary.quantile_values] == [(0.5, 0.2), (0.9, 0.7)]
    assert (summary.count, summary.sum) == (20, 9.0)
    assert metrics["temp"][1].gauge.data_points[0].as_double == 21.5
    assert metrics["up"][1].gauge.data_points[0].as_double == 1.0
    assert metrics["scrape_samples_scraped"][1].gauge.data_points[0].as_double == 11


def test_honor_labels_and_timestamps():
    at = 1_800_000_000_000_000_000
    metrics = metrics_of(build(state(honor_labels=True, honor_timestamps=False), TEXT, "text/plain", at, 0.01))
    rm, counter = metrics["jobs_total"]
    assert {kv.key: kv.value.string_value for kv in rm.resource.attributes}["service.name"] == "inner"
    assert counter.sum.data_points[0].time_unix_nano == at


def test_vanished_series_and_failed_scrape_get_stale_markers():
    target = state()
    build(target, TEXT, "text/plain", 1_800_000_000_000_000_000, 0.01)
    body = build(target, "temp 22\n", "text/plain", 1_800_000_001_000_000_000, 0.01)
    metrics = metrics_of(body)
    stale = metrics["jobs_total"][1].sum.data_points[0]
    assert stale.flags == otlp.NO_RECORDED_VALUE and math.isnan(stale.as_double)
    assert otlp.is_stale(stale.as_double)
    assert metrics["lat"][1].histogram.data_points[0].flags == otlp.NO_RECORDED_VALUE
    assert metrics["temp"][1].gauge.data_points[0].flags == 0
    failed = metrics_of(build(target, None, "", 1_800_000_002_000_000_000, 5.0))
    assert failed["up"][1].gauge.data_points[0].as_double == 0.0
    assert failed["temp"][1].gauge.data_points[0].flags == otlp.NO_RECORDED_VALUE


def test_openmetrics_needs_eof_and_reports_unreadable_expositions():
    families = exposition.parse_families(
        "# TYPE a counter\na_total 1\na_created 1600000000.5\n# EOF\n", "application/openmetrics-text; version=1.0.0"
    )
    assert [s.name for s in families[0].samples] == ["a_total", "a_created"]
    with pytest.raises(ValueError):
        exposition.parse_families("a_total 1\n", "application/openmetrics-text; version=1.0.0")


def test_schedule_spreads_targets_and_counts_missed_ticks():
    offsets = {spread_offset("job", f"h{i}:9100", 15) for i in range(50)}
    assert len(offsets) > 40 and all(0 <= o < 15 for o in offsets)
    assert spread_offset("job", "h1:9100", 15) == spread_offset("job", "h1:9100", 15)
    assert missed_ticks(now=10.0, next_at=11.0, interval=1.0) == 0
    assert missed_ticks(now=12.5, next_at=11.0, interval=1.0) == 2


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        ('[{"name": "a"}]', "targets is required"),
        ('[{"name": "a", "targets": ["h:1"], "intervall_s": 5}]', "did you mean 'interval_s'"),
        ('[{"name": "a", "targets": ["h:1"], "interval_s": 5, "timeout_s": 10}]', "must not exceed interval_s"),
        ('[{"name": "a", "targets": ["h:1"]}, {"name": "a", "targets": ["h:2"]}]', "used twice"),
        ('[{"name": "a", "targets": ["h:1"], "scheme": "ftp"}]', "scheme must be http or https"),
        ("not json", "expected a JSON list"),
    ],
)
def test_scrape_job_config_errors_name_the_key(jobs, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"OTELHOUSE_PROMETHEUS_SCRAPE_JOBS": jobs})


def test_scrape_jobs_from_toml(tmp_path):
    path = tmp_path / "otelhouse.toml"
    path.write_text('[[prometheus.scrape_jobs]]\nname = "node"\ntargets = ["h:9100"]\nlabels = { dc = "x" }\n')
    settings = load_settings({"OTELHOUSE_CONFIG": str(path)})
    assert settings.prometheus.scrape_jobs == (ScrapeJob(name="node", targets=("h:9100",), labels={"dc": "x"}),)
    assert settings.sources["prometheus.scrape_jobs"].startswith("config ")
