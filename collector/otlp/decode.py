"""Decode an OTLP/protobuf export request: validate it cheaply, drop bad items, pick the storage route.

Per-item treatment (counted in partial success when rejected):
- span: rejected unless trace_id is 16 bytes and span_id 8 bytes, neither all zero, and
  parent_span_id is empty or 8 bytes. Link ids are stored as sent (hex).
- log record: rejected unless trace_id is empty or 16 bytes and span_id empty or 8 bytes.
- metric: its data points are rejected when the metric has no name; a metric without data has none.
- repaired, not rejected: a span ending before it starts gets Duration 0 (both routes).

Route: NATIVE (ClickHouse decodes the bytes) unless an AnyValue array/kvlist nests deeper than the
staging schema holds, which the probe classes detect in C (see probe.py); then PYTHON, which is
exact for anything. Bytes are re-serialized only when items were dropped, or when the body is not
in canonical form (ByteSize differs: e.g. two oneof members sent, a message field sent twice),
because ClickHouse reads fields as they come while protobuf merges them.
"""

from __future__ import annotations

from google.protobuf.message import DecodeError, EncodeError, Message

from collector.otlp.model import DecodeResult, InvalidRequest, Payload, Route, Signal
from collector.otlp.probe import PROBES, REQUESTS

_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
Check = tuple[int, int, str]  # accepted, rejected, why


def decode_protobuf(signal: Signal, body: bytes) -> DecodeResult:
    """Decode a serialized Export*ServiceRequest; raise InvalidRequest if it is not one."""
    probe = PROBES[signal]()
    try:
        probe.ParseFromString(body)
    except DecodeError as exc:
        raise InvalidRequest(_not_readable(signal, exc)) from None
    try:
        size = probe.ByteSize()
        message, route = probe, Route.NATIVE
    except EncodeError:  # a value nested deeper than the native schema (probe.Deep)
        message, route = REQUESTS[signal](), Route.PYTHON
        message.ParseFromString(body)
        size = len(body)
    accepted, rejected, why = _CHECKS[signal](message)
    if rejected or size != len(body):
        body = message.SerializeToString()
    payload = Payload(signal, route, body, accepted) if accepted else None
    return DecodeResult(payload, rejected, why)


def decode_message(signal: Signal, message: Message) -> DecodeResult:
    """Decode a request already parsed (e.g. from OTLP/JSON) by way of its protobuf bytes."""
    return decode_protobuf(signal, message.SerializeToString())


def _not_readable(signal: Signal, exc: Exception) -> str:
    name = REQUESTS[signal].DESCRIPTOR.name
    return f"the body is not a valid OTLP/protobuf {name} ({exc})"


def _drop(items: object, bad: list[int]) -> None:
    for i in reversed(bad):
        del items[i]  # type: ignore[attr-defined]


def _message(rejected: int, noun: str, first: str) -> str:
    return f"rejected {rejected} {noun}{'s' if rejected != 1 else ''}; first problem: {first}" if rejected else ""


def _span_problem(span: Message) -> str:
    if len(span.trace_id) != 16 or span.trace_id == _ZERO_TRACE:
        return f"trace_id must be 16 bytes, not all zero (got {span.trace_id.hex() or 'none'})"
    if len(span.span_id) != 8 or span.span_id == _ZERO_SPAN:
        return f"span_id must be 8 bytes, not all zero (got {span.span_id.hex() or 'none'})"
    return f"parent_span_id must be empty or 8 bytes (got {span.parent_span_id.hex()})"


def check_traces(request: Message) -> Check:
    """Count spans and drop the invalid ones in place."""
    accepted = rejected = 0
    first = ""
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            spans = ss.spans
            bad = [
                i
                for i, s in enumerate(spans)
                if len(s.trace_id) != 16
                or len(s.span_id) != 8
                or len(s.parent_span_id) not in (0, 8)
                or s.trace_id == _ZERO_TRACE
                or s.span_id == _ZERO_SPAN
            ]
            if bad:
                first = first or _span_problem(spans[bad[0]])
                _drop(spans, bad)
                rejected += len(bad)
            accepted += len(spans)
    return accepted, rejected, _message(rejected, "span", first)


def check_logs(request: Message) -> Check:
    """Count log records and drop those with malformed trace context in place."""
    accepted = rejected = 0
    first = ""
    for rl in request.resource_logs:
        for sl in rl.scope_logs:
            records = sl.log_records
            bad = [i for i, r in enumerate(records) if len(r.trace_id) not in (0, 16) or len(r.span_id) not in (0, 8)]
            if bad:
                r = records[bad[0]]
                first = first or (
                    "trace_id must be empty or 16 bytes and span_id empty or 8 bytes "
                    f"(got {r.trace_id.hex() or 'none'} / {r.span_id.hex() or 'none'})"
                )
                _drop(records, bad)
                rejected += len(bad)
            accepted += len(records)
    return accepted, rejected, _message(rejected, "log record", first)


def check_metrics(request: Message) -> Check:
    """Count data points and drop metrics without a name in place."""
    accepted = rejected = 0
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            metrics = sm.metrics
            bad = []
            for i, m in enumerate(metrics):
                kind = m.WhichOneof("data")
                points = len(getattr(m, kind).data_points) if kind else 0
                if m.name:
                    accepted += points
                else:
                    bad.append(i)
                    rejected += points
            _drop(metrics, bad)
    return accepted, rejected, _message(rejected, "data point", "a metric must have a name")


_CHECKS = {Signal.TRACES: check_traces, Signal.LOGS: check_logs, Signal.METRICS: check_metrics}
