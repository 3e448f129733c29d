"""Write validated payloads into ClickHouse by route: ClickHouse decodes the protobuf, or Python builds columns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import cache, partial
from importlib import resources

from clickhouse_connect.driver import Client

from storage.errors import StoreRejected
from storage.payload import Payload, Route, Signal
from storage.rows import build_tables
from storage.schema import FLAT_SUFFIX, SchemaOptions
from storage.wire import encode_varint

STAGING = {
    Signal.TRACES: ("otlp_traces_staging", "ExportTraceServiceRequest"),
    Signal.LOGS: ("otlp_logs_staging", "ExportLogsServiceRequest"),
    Signal.METRICS: ("otlp_metrics_staging", "ExportMetricsServiceRequest"),
}


PROM_STAGING = "prom_write_staging"


@cache
def proto_text(name: str) -> str:
    """Return a .proto text ClickHouse decodes requests with (sent along with every insert)."""
    return resources.files("storage").joinpath("proto", name).read_text()


def _protobuf_insert(proto: str, message: str, max_threads: int, dedup_token: str | None) -> dict[str, str | int]:
    """Return the settings every insert of request bodies shares: ClickHouse parses them with `proto`'s
    `message`, on at most `max_threads` threads (0: the server's default)."""
    settings: dict[str, str | int] = {
        "format_schema_source": "string",
        "format_schema": proto_text(proto),
        "format_schema_message_name": message,
        # the bloom-filter skip indexes (trace id, attribute and label maps) cost more than the rest of
        # some inserts (bench/remote_write_decode.py, bench/insert_batch.py); a part gets them at its first
        # merge, which rebuilds them anyway, and until then a query reads it unpruned with the same result
        # (docs/decisions.md)
        "materialize_skip_indexes_on_insert": 0,
    }
    if max_threads:
        settings["max_threads"] = max_threads
    settings.update(insert_settings(dedup_token))
    return settings


def native_settings(signal: Signal, dedup_token: str | None = None, max_threads: int = 0) -> dict[str, str | int]:
    """Return the insert settings that make ClickHouse parse the bodies as one OTLP request."""
    settings = _protobuf_insert("otlp.proto", STAGING[signal][1], max_threads, dedup_token)
    # toJSONString in the views escapes '/' by this setting; pin it to what the Python rule does
    settings["output_format_json_escape_forward_slashes"] = 1
    if signal is Signal.METRICS:
        # five light views split the rendered points block by kind; most of each one's cost is
        # per-insert query analysis, so they run side by side
        settings["parallel_view_processing"] = 1
    return settings


def prometheus_settings(dedup_token: str | None = None, max_threads: int = 0) -> dict[str, str | int]:
    """Return the insert settings that make ClickHouse parse length-delimited remote-write requests."""
    settings = _protobuf_insert("prompb.proto", "WriteRequest", max_threads, dedup_token)
    settings["parallel_view_processing"] = 1  # the points table's five views, as for OTLP metrics
    return settings


def insert_settings(dedup_token: str | None) -> dict[str, str | int]:
    """Return the settings that make a replayed insert store nothing twice, in its views too.

    Deduplication through materialized views is off by default on some ClickHouse servers; without
    it the staging views and the trace-id view would store a replay's rows again.
    """
    if not dedup_token:
        return {}
    return {
        "insert_deduplication_token": dedup_token,
        "deduplicate_blocks_in_dependent_materialized_views": 1,
        # the token must name this very insert: servers from 26.3 queue inserts (async_insert) by
        # default, where a token is deduplicated only if async_insert_deduplicate is also on
        "async_insert": 0,
    }


def cluster_settings(opts: SchemaOptions) -> dict[str, int]:
    """Return the settings that keep an insert's token valid through the Distributed tables of a cluster.

    The staging views write into Distributed tables. Inserted in the background (the default), a
    Distributed table answers once the rows are queued on the server the collector talks to, which
    may then be lost with that server; in the foreground it answers once every shard's replica has
    stored its part, each under the insert's token, so a replay after any failure is deduplicated
    shard by shard (the sharding keys are deterministic: storage/schema.py).
    """
    return {"distributed_foreground_insert": 1} if opts.cluster else {}


Errors = Callable[[], AbstractContextManager[None]]
"""Turns the driver's exceptions raised inside into StoreErrors (Store.errors)."""


def write_payloads(
    client: Client,
    opts: SchemaOptions,
    payloads: list[Payload],
    dedup_token: str | None = None,
    max_threads: int = 0,
    errors: Errors = nullcontext,
) -> dict[int, str]:
    """Store every payload's rows; return only after ClickHouse has stored every row.

    Payloads are grouped by (signal, route): FLAT or NATIVE bodies of a signal go in one insert into
    that route's staging table (serialized requests concatenated merge into one request); PROMETHEUS
    ones (remote-write requests) in one insert of length-delimited messages, a row each; PYTHON ones
    become columns inserted per table. Each insert carries a token derived from `dedup_token` and
    the insert's place in the batch, so replaying the same batch (a write-ahead log after a crash)
    stores nothing twice. When storage rejects an insert as invalid (StoreRejected, as `errors`
    translates it), the inserts before it are stored and only its payloads are retried, each alone
    under a token of its own; those rejected again are returned (index in `payloads` -> why) and
    left out. `max_threads` caps ClickHouse's threads per native insert (0: the server's default).
    """
    groups: dict[tuple[Signal, Route], list[int]] = defaultdict(list)
    for i, p in enumerate(payloads):
        groups[(p.signal, p.route)].append(i)
    rejected: dict[int, str] = {}
    for (signal, route), members in groups.items():
        token = f"{dedup_token}:{signal}:{route}" if dedup_token else None
        if route is Route.PROMETHEUS:
            prometheus = partial(_insert_prometheus, client, opts, payloads, max_threads)
            _insert_or_split(prometheus, members, token, errors, rejected)
            continue
        if route is not Route.PYTHON:
            native = partial(_insert_native, client, opts, signal, route, payloads, max_threads)
            _insert_or_split(native, members, token, errors, rejected)
            continue
        for table, whole in build_tables(signal, [payloads[i].body for i in members]).items():
            columns = partial(_insert_columns, client, opts, table, payloads, members, whole)
            _insert_or_split(columns, members, f"{token}:{table}" if token else None, errors, rejected)
    return rejected


def _insert_native(
    client: Client,
    opts: SchemaOptions,
    signal: Signal,
    route: Route,
    payloads: list[Payload],
    max_threads: int,
    idx: list[int],
    token: str | None,
) -> None:
    """Insert the bodies of payloads `idx` into the route's staging table, as one request."""
    suffix = FLAT_SUFFIX if route is Route.FLAT else ""
    client.raw_insert(
        f"{opts.database}.{STAGING[signal][0]}{suffix}",
        insert_block=b"".join(payloads[i].body for i in idx),
        fmt="ProtobufSingle",
        settings=native_settings(signal, token, max_threads) | cluster_settings(opts),
    )


def _insert_prometheus(
    client: Client, opts: SchemaOptions, payloads: list[Payload], max_threads: int, idx: list[int], token: str | None
) -> None:
    """Insert the remote-write requests of payloads `idx` into their staging table, a row each.

    Each request carries its own accepted window and kinds (collector/prometheus/direct.py), so they
    are not concatenated into one message (that would merge those fields) but sent length-delimited.
    """
    client.raw_insert(
        f"{opts.database}.{PROM_STAGING}",
        insert_block=b"".join(encode_varint(len(payloads[i].body)) + payloads[i].body for i in idx),
        fmt="Protobuf",
        settings=prometheus_settings(token, max_threads) | cluster_settings(opts),
    )


def _insert_columns(
    client: Client,
    opts: SchemaOptions,
    table: str,
    payloads: list[Payload],
    group: list[int],
    whole: dict[str, list],
    idx: list[int],
    token: str | None,
) -> None:
    """Insert one table's rows of payloads `idx` (the group's, built once, or one member's alone)."""
    columns = whole if idx == group else build_tables(payloads[idx[0]].signal, [payloads[idx[0]].body]).get(table)
    if not columns or not next(iter(columns.values())):
        return
    client.insert(
        f"{opts.database}.{table}",
        list(columns.values()),
        column_names=list(columns),
        column_oriented=True,
        settings=insert_settings(token) | cluster_settings(opts),
    )


def _insert_or_split(
    insert: Callable[[list[int], str | None], None],
    members: list[int],
    token: str | None,
    errors: Errors,
    rejected: dict[int, str],
) -> None:
    """Run one insert of `members`; if storage rejects it, insert each member alone (stable tokens)."""
    try:
        with errors():
            insert(members, token)
        return
    except StoreRejected as exc:
        if len(members) == 1:
            rejected[members[0]] = str(exc)
            return
    for i in members:
        try:
            with errors():
                insert([i], f"{token}:{i}" if token else None)
        except StoreRejected as exc:
            rejected[i] = str(exc)
