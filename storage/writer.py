"""Write validated OTLP payloads into ClickHouse by their route: native protobuf decode or Python columns."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from importlib import resources

from clickhouse_connect.driver import Client

from collector.otlp.model import Payload, Route, Signal
from collector.otlp.rows import build_tables
from storage.schema import FLAT_SUFFIX, SchemaOptions

STAGING = {
    Signal.TRACES: ("otlp_traces_staging", "ExportTraceServiceRequest"),
    Signal.LOGS: ("otlp_logs_staging", "ExportLogsServiceRequest"),
    Signal.METRICS: ("otlp_metrics_staging", "ExportMetricsServiceRequest"),
}


@cache
def otlp_proto() -> str:
    """Return the .proto text ClickHouse decodes requests with (sent along with every insert)."""
    return resources.files("storage").joinpath("proto", "otlp.proto").read_text()


def native_settings(signal: Signal, dedup_token: str | None = None, max_threads: int = 0) -> dict[str, str | int]:
    """Return the insert settings that make ClickHouse parse the bodies as one OTLP request.

    `max_threads` (0: the server's default) caps ClickHouse's threads for the insert.
    """
    settings: dict[str, str | int] = {
        "format_schema_source": "string",
        "format_schema": otlp_proto(),
        "format_schema_message_name": STAGING[signal][1],
        # toJSONString in the views escapes '/' by this setting; pin it to what the Python rule does
        "output_format_json_escape_forward_slashes": 1,
    }
    if max_threads:
        settings["max_threads"] = max_threads
    if signal is Signal.METRICS:
        # five light views split the rendered points block by kind; most of each one's cost is
        # per-insert query analysis, so they run side by side
        settings["parallel_view_processing"] = 1
    if dedup_token:
        settings["insert_deduplication_token"] = dedup_token
    return settings


def write_payloads(
    client: Client,
    opts: SchemaOptions,
    payloads: list[Payload],
    dedup_token: str | None = None,
    max_threads: int = 0,
) -> None:
    """Store every payload's rows; return only after ClickHouse has stored every row.

    Payloads are grouped by (signal, route): FLAT or NATIVE bodies of a signal go in one insert into
    that route's staging table (serialized requests concatenated merge into one request); PYTHON ones
    become columns inserted per table.
    With `dedup_token`, each insert carries a token derived from it, so replaying the same batch
    (a write-ahead log after a crash) stores nothing twice. `max_threads` caps ClickHouse's threads
    per native insert (0: the server's default). clickhouse-connect errors propagate.
    """
    groups: dict[tuple[Signal, Route], list[bytes]] = defaultdict(list)
    for p in payloads:
        groups[(p.signal, p.route)].append(p.body)
    for (signal, route), bodies in groups.items():
        token = f"{dedup_token}:{signal}:{route}" if dedup_token else None
        if route is not Route.PYTHON:
            suffix = FLAT_SUFFIX if route is Route.FLAT else ""
            client.raw_insert(
                f"{opts.database}.{STAGING[signal][0]}{suffix}",
                insert_block=b"".join(bodies),
                fmt="ProtobufSingle",
                settings=native_settings(signal, token, max_threads),
            )
            continue
        for table, columns in build_tables(signal, bodies).items():
            if not columns or not next(iter(columns.values())):
                continue
            client.insert(
                f"{opts.database}.{table}",
                list(columns.values()),
                column_names=list(columns),
                column_oriented=True,
                settings={"insert_deduplication_token": f"{token}:{table}"} if token else None,
            )
