"""Loki push API: real Loki clients ship through both encodings; every malformed body gets its 400.

winston-loki sends snappy block-compressed protobuf with no Content-Encoding header, pino-loki sends
JSON with structured metadata, python-logging-loki sends both of Loki's JSON layouts and treats any
answer but 204 as an error. Rows are read back from ClickHouse.
"""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import time

import cramjam
import logging_loki
import pytest
import requests
from multidict import CIMultiDict

from collector.errors import Unauthenticated
from collector.logs_http import presented_key, resource_header
from collector.loki.push import PushRequest
from collector.otlp.model import InvalidRequest
from tests.collector.conftest import LiveCollector, start_live_collector
from tests.collector.loggers import node_modules, run_node

COLUMNS = (
    "Body, toUnixTimestamp64Nano(Timestamp), SeverityText, SeverityNumber, TraceId, ServiceName, ScopeName, "
    "LogAttributes, ResourceAttributes"
)
NAMES = ("body", "time", "sev_text", "sev", "trace", "service", "scope", "attrs", "resource")


def stored(live: LiveCollector, service: str) -> dict[str, dict]:
    rows = live.query(f"SELECT {COLUMNS} FROM {{db}}.otel_logs WHERE ServiceName = {{s:String}}", s=service)
    return {r[0]: dict(zip(NAMES, r, strict=True)) for r in rows}


def push(live: LiveCollector, body: bytes, content_type: str = "application/x-protobuf", **headers: str):
    return requests.post(
        f"{live.http_url}/loki/api/v1/push", data=body, headers={"Content-Type": content_type, **headers}, timeout=30
    )


def protobuf_body(labels: str, entries: list[tuple[int, str, dict[str, str]]]) -> bytes:
    request = PushRequest()
    stream = request.streams.add(labels=labels.encode())
    for ts, line, metadata in entries:
        entry = stream.entries.add(line=line.encode())
        entry.timestamp.seconds, entry.timestamp.nanos = divmod(ts, 10**9)
        for name, value in metadata.items():
            entry.structuredMetadata.add(name=name.encode(), value=value.encode())
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def test_winston_loki_sends_snappy_protobuf(live: LiveCollector) -> None:
    # winston-loki falls back to JSON when its snappy binding cannot load: make sure it loads
    subprocess.run(["node", "-e", "require('snappy')"], cwd=node_modules(), check=True, timeout=60)
    started = time.time_ns()
    run_node("loki.js", "winston-loki", live.http_url)
    rows = stored(live, "checkout")  # the `app` label names the service (Loki 3's rule)
    assert set(rows) == {"plain winston line", "second winston line", "third winston line"}
    info = rows["plain winston line"]
    assert (info["sev"], info["sev_text"]) == (9, "INFO")
    assert info["trace"] == "4bf92f3577b34da6a3ce929d0e0e4736"  # the JSON line was mapped
    assert info["attrs"]["order_id"] == "o-1"
    assert info["resource"]["app"] == "checkout" and info["resource"]["env"] == "test"
    assert started - 60 * 10**9 < info["time"] <= time.time_ns()
    assert (rows["second winston line"]["sev"], rows["third winston line"]["sev_text"]) == (13, "ERROR")
    assert rows["third winston line"]["resource"]["team"] == "payments"


def test_pino_loki_sends_json_with_structured_metadata(live: LiveCollector) -> None:
    run_node("loki.js", "pino-loki", live.http_url)
    rows = stored(live, "catalog")
    line = rows["pino loki line"]
    assert (line["sev"], line["sev_text"]) == (9, "INFO")  # pino's numeric 30 inside the Loki line
    assert line["attrs"]["request_id"] == "r-1"  # structured metadata
    assert line["attrs"]["sku"] == "A-7"
    assert line["scope"] == "catalog"
    error = rows["pino loki error"]
    assert (error["sev"], error["attrs"]["exception.message"]) == (17, "out of stock")
    assert "Error: out of stock" in error["attrs"]["exception.stacktrace"]


@pytest.mark.parametrize("version", ["0", "1"])
def test_python_logging_loki_gets_204(live: LiveCollector, version: str) -> None:
    """Version 0 posts Loki's old JSON layout (labels text, RFC 3339 times), version 1 the current one."""
    handler = logging_loki.LokiHandler(
        url=f"{live.http_url}/loki/api/v1/push", tags={"application": "ledger"}, version=version
    )
    failures: list[logging.LogRecord] = []
    handler.handleError = failures.append  # the handler reports any answer but 204 here
    log = logging.getLogger(f"ledger.v{version}")
    log.propagate = False
    log.addHandler(handler)
    try:
        log.warning("loki warning %s", version, extra={"tags": {"region": "eu"}})
        log.error("loki error %s", version)
    finally:
        log.removeHandler(handler)
    assert not failures
    rows = stored(live, "ledger")
    warning = rows[f"loki warning {version}"]
    assert (warning["sev"], warning["sev_text"]) == (13, "WARN")  # from the `severity` label
    assert warning["resource"]["region"] == "eu" and warning["resource"]["logger"] == f"ledger.v{version}"
    assert rows[f"loki error {version}"]["sev"] == 17


def test_protobuf_entries_metadata_service_rule_and_encodings(live: LiveCollector) -> None:
    now = time.time_ns() - 10**9
    body = protobuf_body(
        '{job="varlogs", container="web", namespace="prod", level="warn"}',
        [(now, "plain text line", {"trace_id": "abc", "detected_level": "error"}), (now + 1, "second", {})],
    )
    assert push(live, body).status_code == 204
    # the same with the Content-Encoding some clients add, and gzip around the snappy body
    assert (
        push(
            live, protobuf_body('{service_name="svc2"}', [(now, "x", {})]), **{"Content-Encoding": "snappy"}
        ).status_code
        == 204
    )
    assert (
        push(
            live, gzip.compress(protobuf_body('{app="svc3"}', [(now, "y", {})])), **{"Content-Encoding": "gzip"}
        ).status_code
        == 204
    )
    rows = stored(live, "web")  # container comes before job in Loki 3's list
    plain = rows["plain text line"]
    assert plain["time"] == now
    assert plain["attrs"] == {"trace_id": "abc", "detected_level": "error"}
    assert (plain["sev"], plain["sev_text"]) == (17, "ERROR")  # metadata's detected_level before the label
    assert (rows["second"]["sev"], rows["second"]["sev_text"]) == (13, "WARN")  # the `level` label
    assert plain["resource"] == {
        "job": "varlogs",
        "container": "web",
        "namespace": "prod",
        "level": "warn",
        "service.name": "web",
    }
    assert set(stored(live, "svc2")) == {"x"} and set(stored(live, "svc3")) == {"y"}
    # no label names the service: Loki's unknown_service
    assert push(live, protobuf_body('{env="dev"}', [(now, "lost", {})])).status_code == 204
    assert set(stored(live, "unknown_service")) == {"lost"}


def json_push(streams: list) -> bytes:
    return json.dumps({"streams": streams}).encode()


BAD_BODIES = [
    ("broken JSON", b'{"streams": [', "application/json", "not JSON"),
    ("JSON without streams", b'{"stream": 1}', "application/json", '"streams" array'),
    ("stream not an object", json_push([1]), "application/json", "streams[0] must be an object"),
    (
        "value not a pair",
        json_push([{"stream": {"a": "b"}, "values": [["1"]]}]),
        "application/json",
        "streams[0].values[0]",
    ),
    (
        "bad timestamp",
        json_push([{"stream": {"a": "b"}, "values": [["soon", "x"]]}]),
        "application/json",
        "not a unix epoch",
    ),
    ("label value not a string", json_push([{"stream": {"a": 1}, "values": []}]), "application/json", "string labels"),
    ("bad legacy labels", json_push([{"labels": "{a=b}", "entries": []}]), "application/json", 'expected name="value"'),
    ("broken snappy", b"\xff\xff\xff\x0fnot snappy at all", "application/x-protobuf", "snappy"),
    (
        "snappy around garbage",
        bytes(cramjam.snappy.compress_raw(b"\x0a\xff\xff\xff")),
        "application/x-protobuf",
        "PushRequest",
    ),
    ("bad label syntax", protobuf_body('app="x"', []), "application/x-protobuf", "must start with '{'"),
    ("unterminated label", protobuf_body('{app="x}', []), "application/x-protobuf", "streams[0]: labels"),
]


def test_malformed_bodies_get_400_saying_what_and_where(live: LiveCollector) -> None:
    for name, body, content_type, says in BAD_BODIES:
        response = push(live, body, content_type)
        assert response.status_code == 400, (name, response.status_code, response.text)
        assert says in response.text, (name, response.text)
    assert live.query("SELECT count() FROM {db}.otel_logs") == [(0,)]


def test_a_rejected_entry_does_not_take_the_others_down(live: LiveCollector) -> None:
    now = time.time_ns()
    future = now + 3 * 86_400 * 10**9  # further ahead than collector.max_future_timestamp_s
    body = json_push(
        [
            {
                "stream": {"app": "mixed"},
                "values": [[str(now), "kept"], [str(future), "too new"], [str(now), "x" * 300_000]],
            }
        ]
    )
    response = push(live, body, "application/json")
    assert response.status_code == 400
    assert "2 of 3 entries were rejected" in response.text and "streams[0].entries[1]" in response.text
    assert set(stored(live, "mixed")) == {"kept"}


@pytest.fixture
def keyed(chdb_path, store, database):
    """A collector with an ingest key."""
    yield from start_live_collector(chdb_path, store, database, OTELHOUSE_COLLECTOR_API_KEYS="s3cret")


def test_ingest_keys_on_both_routes(keyed: LiveCollector) -> None:
    """Loki clients send Basic auth (the key as password), shippers Bearer; anything else is a 401."""
    now = time.time_ns()
    body = json_push([{"stream": {"app": "keyed"}, "values": [[str(now), "with basic auth"]]}])
    assert push(keyed, body, "application/json").status_code == 401
    assert push(keyed, body, "application/json", Authorization="Basic " + base64("u:wrong")).status_code == 401
    assert push(keyed, body, "application/json", Authorization="Basic " + base64("otelhouse:s3cret")).status_code == 204
    url = f"{keyed.http_url}/v1/logs/json"
    line = b'{"msg":"with bearer","level":"info"}'
    assert requests.post(url, data=line, headers={"X-Service-Name": "keyed"}, timeout=30).status_code == 401
    ok = requests.post(
        url, data=line, headers={"X-Service-Name": "keyed", "Authorization": "Bearer s3cret"}, timeout=30
    )
    assert ok.status_code == 200
    assert set(stored(keyed, "keyed")) == {"with basic auth", "with bearer"}


def base64(text: str) -> str:
    import base64 as b64

    return b64.b64encode(text.encode()).decode()


def test_resource_header_and_presented_key() -> None:
    assert resource_header("a=1, b=x%2Cy ,c=") == (("a", "1"), ("b", "x,y"), ("c", ""))
    with pytest.raises(InvalidRequest, match="X-Resource-Attributes: item 2"):
        resource_header("a=1,b")
    assert presented_key(CIMultiDict({"Authorization": "Basic " + base64("u:k")})) == "k"
    assert presented_key(CIMultiDict({"X-API-Key": "k2"})) == "k2"
    with pytest.raises(Unauthenticated):
        presented_key(CIMultiDict({"Authorization": "Basic !!!"}))
