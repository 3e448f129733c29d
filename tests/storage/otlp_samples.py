"""Hand-built OTLP requests covering every stored field, and helpers to read rows back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from clickhouse_connect.driver import Client
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

# an hour ago: tables have a TTL, and rows already past it are dropped at insert
T0 = (time.time_ns() // 10**9 - 3600) * 10**9 + 123_456_789
TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
SPAN = bytes.fromhex("b7ad6b7169203331")
PARENT = bytes.fromhex("00f067aa0ba902b7")


def fill(value: Any, v: object) -> None:
    """Set an AnyValue message from a Python value: str, bool, int, float, bytes, list, dict, None."""
    if v is None:
        return
    if isinstance(v, bool):
        value.bool_value = v
    elif isinstance(v, int):
        value.int_value = v
    elif isinstance(v, float):
        value.double_value = v
    elif isinstance(v, str):
        value.string_value = v
    elif isinstance(v, bytes):
        value.bytes_value = v
    elif isinstance(v, list):
        value.array_value.SetInParent()
        for x in v:
            fill(value.array_value.values.add(), x)
    else:
        value.kvlist_value.SetInParent()
        for k, x in v.items():
            kv = value.kvlist_value.values.add(key=k)
            fill(kv.value, x)


def add_attributes(target: Any, attrs: dict[str, object]) -> None:
    for k, v in attrs.items():
        fill(target.add(key=k).value, v)


EVERY_TYPE = {
    "s": "text/é",
    "b": True,
    "i": -42,
    "d": 0.1,
    "y": b"\x00\xff",
    "a": [1, "a", False, 1e21, b"\x01", None],
    "k": {"z": 1, "n": [2.5, "x"]},
    "empty_a": [],
    "empty_k": {},
    "unset": None,
}
EVERY_TYPE_TEXT = {
    "s": "text/é",
    "b": "true",
    "i": "-42",
    "d": "0.1",
    "y": "AP8=",
    "a": '[1,"a",false,1e21,"AQ==",null]',
    "k": '{"z":1,"n":[2.5,"x"]}',
    "empty_a": "[]",
    "empty_k": "{}",
    "unset": "",
}


def trace_request() -> ExportTraceServiceRequest:
    r = ExportTraceServiceRequest()
    rs = r.resource_spans.add()
    add_attributes(rs.resource.attributes, {"service.name": "checkout", "host.name": "h1"})
    ss = rs.scope_spans.add()
    ss.scope.name, ss.scope.version = "io.test", "1.2.3"
    s = ss.spans.add(trace_id=TRACE, span_id=SPAN, parent_span_id=PARENT, trace_state="k=v", name="GET /x")
    s.kind, s.start_time_unix_nano, s.end_time_unix_nano = 3, T0, T0 + 1500
    s.status.code, s.status.message = 2, "boom"
    add_attributes(s.attributes, EVERY_TYPE)
    e = s.events.add(time_unix_nano=T0 + 10, name="exception")
    add_attributes(e.attributes, {"exception.type": "ValueError", "n": 3})
    link = s.links.add(trace_id=bytes(range(16)), span_id=bytes(range(1, 9)), trace_state="l=1")
    add_attributes(link.attributes, {"why": "retry"})
    root = ss.spans.add(trace_id=TRACE, span_id=PARENT, name="root", kind=2)
    root.start_time_unix_nano, root.end_time_unix_nano = T0 - 5, T0 + 5000
    return r


def log_request() -> ExportLogsServiceRequest:
    r = ExportLogsServiceRequest()
    rl = r.resource_logs.add(schema_url="https://res")
    add_attributes(rl.resource.attributes, {"service.name": "api"})
    sl = rl.scope_logs.add(schema_url="https://scope")
    sl.scope.name, sl.scope.version = "logger", "9"
    add_attributes(sl.scope.attributes, {"scope.attr": 1})
    rec = sl.log_records.add(time_unix_nano=T0, observed_time_unix_nano=T0 + 7, severity_number=17)
    rec.severity_text, rec.flags, rec.trace_id, rec.span_id, rec.event_name = "ERROR", 0x101, TRACE, SPAN, "ev"
    rec.body.string_value = "disk full"
    add_attributes(rec.attributes, {"user": "u1", "n": 2})
    rec2 = sl.log_records.add(observed_time_unix_nano=T0 + 99, severity_number=9, severity_text="INFO")
    fill(rec2.body, {"msg": "hi", "n": [1, 2]})
    return r


def metric_request() -> ExportMetricsServiceRequest:
    r = ExportMetricsServiceRequest()
    rm = r.resource_metrics.add(schema_url="https://res")
    add_attributes(rm.resource.attributes, {"service.name": "billing"})
    sm = rm.scope_metrics.add(schema_url="https://scope")
    sm.scope.name, sm.scope.version, sm.scope.dropped_attributes_count = "meter", "2", 4
    add_attributes(sm.scope.attributes, {"sa": "x"})
    g = sm.metrics.add(name="temp", description="temperature", unit="C")
    p = g.gauge.data_points.add(start_time_unix_nano=T0 - 1000, time_unix_nano=T0, as_int=21, flags=1)
    add_attributes(p.attributes, {"room": "a", "floor": 2})
    ex = p.exemplars.add(time_unix_nano=T0 - 3, as_double=20.5, span_id=SPAN, trace_id=TRACE)
    add_attributes(ex.filtered_attributes, {"f": "1"})
    p.exemplars.add(time_unix_nano=T0 - 2, as_int=7)
    s = sm.metrics.add(name="requests", unit="1")
    s.sum.aggregation_temporality, s.sum.is_monotonic = 2, True
    s.sum.data_points.add(start_time_unix_nano=T0 - 1000, time_unix_nano=T0, as_double=12.5)
    h = sm.metrics.add(name="latency", unit="ms")
    h.histogram.aggregation_temporality = 1
    hp = h.histogram.data_points.add(time_unix_nano=T0, count=6, sum=30.5, min=0.5, max=20.0)
    hp.bucket_counts.extend([1, 2, 3])
    hp.explicit_bounds.extend([1.0, 10.0])
    hp.exemplars.add(time_unix_nano=T0, as_double=3.0, trace_id=TRACE, span_id=SPAN)
    h.histogram.data_points.add(time_unix_nano=T0 + 1, count=1)  # unset sum/min/max
    e = sm.metrics.add(name="size", unit="By")
    e.exponential_histogram.aggregation_temporality = 2
    ep = e.exponential_histogram.data_points.add(time_unix_nano=T0, count=9, sum=99.0, scale=-2, zero_count=1)
    ep.min, ep.max = 1.0, 50.0
    ep.positive.offset = 3
    ep.positive.bucket_counts.extend([4, 2])
    ep.negative.offset = -1
    ep.negative.bucket_counts.extend([2])
    ep.exemplars.add(time_unix_nano=T0, as_int=5)
    q = sm.metrics.add(name="rt", unit="s")
    qp = q.summary.data_points.add(time_unix_nano=T0, count=10, sum=5.5, flags=1)
    qp.quantile_values.add(quantile=0.5, value=0.4)
    qp.quantile_values.add(quantile=0.99, value=1.9)
    add_attributes(qp.attributes, {"route": "/"})
    return r


def rows(client: Client, database: str, table: str, order: str = "") -> list[dict[str, Any]]:
    """Read a table back with DateTime64 columns as nanosecond ints."""
    times = client.query(
        "SELECT name FROM system.columns WHERE database = {d:String} AND table = {t:String} "
        "AND type LIKE '%DateTime64%'",
        parameters={"d": database, "t": table},
    ).result_rows
    converted = [
        f"arrayMap(x -> toUnixTimestamp64Nano(x), `{n}`) AS `{n}`"
        if n.startswith(("Events.", "Exemplars."))
        else f"toUnixTimestamp64Nano(`{n}`) AS `{n}`"
        for (n,) in times
    ]
    replace = f"REPLACE ({', '.join(converted)})" if converted else ""
    query = f"SELECT * {replace} FROM {database}.{table} {f'ORDER BY {order}' if order else ''}"
    return list(client.query(query).named_results())


def tsv_rows(client: Client, database: str, table: str) -> list[str]:
    """Read a table back as sorted TabSeparated lines (exact text of every value, NaN included)."""
    raw = client.raw_query(f"SELECT * FROM {database}.{table} FORMAT TabSeparated")
    return sorted(raw.decode().split("\n")[:-1])  # not splitlines: values may hold \x1e or U+2028


@contextmanager
def fresh_stores(engine, keys: Iterable) -> Iterator[dict]:
    """A migrated Store on a database of its own per key, sharing `engine`'s target; dropped afterwards."""
    from storage import Store
    from storage.schema import SchemaOptions

    stores = {k: Store(engine.target, SchemaOptions(database=f"t_{uuid.uuid4().hex[:12]}")) for k in keys}
    for s in stores.values():
        s.migrate()
    try:
        yield stores
    finally:
        for s in stores.values():
            s.call(lambda c, db=s.database: c.command(f"DROP DATABASE IF EXISTS {db}"))
            s.close()


def skip_indexes_after_merge(store, table: str) -> tuple[list[int], int]:
    """Bytes of skip indexes in each active part of `table`, then in the one part after OPTIMIZE FINAL."""
    parts = (
        "SELECT secondary_indices_compressed_bytes FROM system.parts "
        f"WHERE database = '{store.database}' AND table = '{table}' AND active"
    )
    before = [row[0] for row in store.call(lambda c: c.query(parts).result_rows)]
    store.call(lambda c: c.command(f"OPTIMIZE TABLE {store.database}.{table} FINAL"))
    [(after,)] = store.call(lambda c: c.query(parts).result_rows)
    return before, after
