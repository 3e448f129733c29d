"""The Python route: serialized OTLP requests to columns for the otel_* tables (exact reference).

Each builder takes the bodies of one signal and returns {table: {column: values}}, column-oriented,
DateTime64 columns as nanosecond ints, maps with sorted keys, Nested columns as parallel arrays.
"""

from __future__ import annotations

from storage.payload import Signal
from storage.rows.logs import log_tables
from storage.rows.metrics import metric_tables
from storage.rows.traces import trace_tables

Tables = dict[str, dict[str, list]]

BUILDERS = {Signal.TRACES: trace_tables, Signal.LOGS: log_tables, Signal.METRICS: metric_tables}


def build_tables(signal: Signal, bodies: list[bytes]) -> Tables:
    """Build the columns of every table the signal's requests fill."""
    return BUILDERS[signal](bodies)


__all__ = ["BUILDERS", "Tables", "build_tables"]
