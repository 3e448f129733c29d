"""The batch contract between receivers and storage: what a payload is and how storage writes it.

Every receiver (OTLP, Jaeger, Prometheus, JSON lines, Loki) hands storage Payloads; storage knows
nothing of the wire formats they came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Signal(StrEnum):
    TRACES = "traces"
    METRICS = "metrics"
    LOGS = "logs"


class Route(StrEnum):
    """How storage turns a payload into rows."""

    FLAT = "flat"  # ClickHouse decodes the protobuf; every value is a scalar (fastest: lean staging types)
    NATIVE = "native"  # ClickHouse decodes the protobuf; arrays/kvlists nested up to two levels
    PYTHON = "python"  # Python builds the columns (exact for anything the fast path cannot render)
    # a Prometheus remote-write WriteRequest (plus the collector's trailer) that ClickHouse decodes
    # itself into the OTel metric tables (collector/prometheus/direct.py): not an OTLP body
    PROMETHEUS = "prometheus"


OTLP_ROUTES = (Route.FLAT, Route.NATIVE, Route.PYTHON)  # the routes whose bodies are OTLP requests


@dataclass(frozen=True, slots=True)
class Payload:
    """Validated telemetry ready to be logged and written.

    `body` is a serialized Export{Trace,Metrics,Logs}ServiceRequest holding only accepted items,
    whatever the request's wire encoding was, so the write-ahead log and the storage routes take
    one kind of record; on Route.PROMETHEUS it is a remote-write WriteRequest instead.
    """

    signal: Signal
    route: Route
    body: bytes
    items: int
    # the body's CRC-32 when it was computed off the event loop (the write-ahead log's checksum uses it)
    body_crc: int | None = field(default=None, compare=False)
