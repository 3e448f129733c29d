"""Decode an OTLP/protobuf export request: validate it cheaply, drop bad items, pick the storage route.

Limits (settings in collector.*, see docs/ingest.md "Limits and bad input"):
- more items than max_items_per_request: the request is refused (400), nothing stored.
- an item (span, log record, data point) with more than max_attributes_per_item attributes of its
  own: rejected (partial success).
- string attribute values (also inside arrays/kvlists; resource, scope, item, event, link and
  exemplar attributes) longer than max_attribute_value_length characters: truncated, as the OTel SDK's
  AttributeValueLengthLimit does, counted, and named in the partial-success message. Names (span,
  event, metric, scope) past max_name_length and log-body strings past max_log_body_length likewise.
- an AnyValue nested deeper than max_anyvalue_depth (attributes, log bodies): the item is rejected
  alone, however deep (the Python route's classes stop parsing one level past the limit).

Per-item treatment (rejected items are counted in partial success, with the first reason):
- span: rejected unless trace_id is 16 bytes and span_id 8 bytes, neither all zero, and
  parent_span_id is empty or 8 bytes. Link ids are stored as sent (hex).
- log record: rejected unless trace_id is empty or 16 bytes and span_id empty or 8 bytes.
- metric: its data points are rejected when the metric has no name; a metric without data has none.
- timestamps: the one that places the row (span start, log time or else observed time, point time)
  must be set, no older than the table TTL if the retention policy sets one (ClickHouse drops
  such a row at insert, so acknowledging it would lose it silently), at most
  max_future_timestamp_s ahead of now, and before 2262 (DateTime64(9)); else the item is rejected.
  Other timestamps (end, events, exemplars, point start) are stored as sent: both routes wrap values
  past 2^63 the same way.
- invalid UTF-8 in a string field (which makes the protobuf runtime fail the whole request):
  replaced with U+FFFD, counted and named in the partial-success message (utf8.py).
- NaN and infinities (metric values, double attributes): stored as sent; Float64 holds them and
  the attribute rule renders them `nan`, `inf`, `-inf`.
- empty names: a span or event with an empty name is stored (a span still belongs to its trace);
  a metric without a name is rejected (nothing could address its series).
- repaired, not rejected: a span ending before it starts gets Duration 0 (both routes).

Route: the leanest that holds every value, found by the probe classes in C (see probe.py): FLAT
(ClickHouse decodes the bytes into staging types with scalar values only: most traffic, fastest)
when no AnyValue is an array or kvlist; else NATIVE (ClickHouse decodes; arrays/kvlists nested up to
two levels); else PYTHON, which is exact for anything. Bytes are re-serialized only when items were
dropped or values repaired, or when the body is not in canonical form (ByteSize differs: e.g. two
oneof members sent, a message field sent twice), because ClickHouse reads fields as they come while
protobuf merges them.
"""

from __future__ import annotations

from google.protobuf.message import DecodeError, EncodeError, Message

from collector.otlp.limits import (
    Limits,
    TooManyItems,
    attributes_problem,
    depth_problem,
    drop_too_deep,
    may_hold_long_string,
    timestamp_problem,
    truncate_strings,
)
from collector.otlp.model import DecodeResult, InvalidRequest, Payload, Route, Signal
from collector.otlp.probe import FLAT_PROBES, PROBES, python_classes
from collector.otlp.responses import REQUEST_TYPES
from collector.otlp.utf8 import repair_utf8

_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
DEFAULT_LIMITS = Limits()
Check = tuple[int, int, str]  # accepted, rejected, why


def decode_protobuf(signal: Signal, body: bytes, limits: Limits = DEFAULT_LIMITS) -> DecodeResult:
    """Decode a serialized Export*ServiceRequest; raise InvalidRequest if it is not one."""
    message, route, size, body, repaired = _route(signal, body, limits.max_depth)
    too_deep = drop_too_deep(signal, message, limits.max_depth) if route is Route.PYTHON else (0, 0)
    accepted, rejected, why = _CHECKS[signal](message, limits)
    if too_deep[0]:
        rejected += too_deep[0]
        why = why or _message(too_deep[0], _NOUNS[signal], depth_problem(too_deep[1], limits))
    truncated = 0
    if accepted and may_hold_long_string(body, limits.shortest_string_limit):
        truncated = truncate_strings(signal, message, limits)
    if rejected or truncated or repaired or size != len(body):
        body = message.SerializePartialToString()  # partial: a dropped value's `Deep` marks nothing left
    payload = Payload(signal, route, body, accepted) if accepted else None
    return DecodeResult(payload, rejected, _warnings(why, truncated, repaired, limits), truncated, repaired)


_NATIVE_ROUTES = ((Route.FLAT, FLAT_PROBES), (Route.NATIVE, PROBES))  # leanest first


def _route(signal: Signal, body: bytes, max_depth: int) -> tuple[Message, Route, int, bytes, int]:
    """Parse the request for the leanest route whose staging types hold all its values.

    Return the message, its route, its canonical size (the body's length for PYTHON), the body
    parsed (UTF-8 repaired) and the number of strings repaired.
    """
    repaired = 0
    for route, classes in _NATIVE_ROUTES:
        probe = classes[signal]()
        body, fixed = _parse(signal, probe, body)
        repaired += fixed
        try:
            return probe, route, probe.ByteSize(), body, repaired
        except EncodeError:  # a value nested deeper than this route's staging types (probe.Deep)
            continue
    message = python_classes(max_depth)[signal]()
    body, fixed = _parse(signal, message, body)
    return message, Route.PYTHON, len(body), body, repaired + fixed


def _parse(signal: Signal, message: Message, body: bytes) -> tuple[bytes, int]:
    """Parse `body` into `message`, repairing invalid UTF-8; return the body parsed and strings repaired.

    Each route's classes parse only as deep as its staging types, so a fault further down (a bad
    string, corrupt bytes inside an array or kvlist) shows only at a deeper route's parse.
    """
    try:
        message.ParseFromString(body)
        return body, 0
    except DecodeError as exc:
        fixed = repair_utf8(signal, body)
        if fixed is None:
            raise InvalidRequest(_not_readable(signal, exc)) from None
        message.ParseFromString(fixed[0])
        return fixed


def decode_message(signal: Signal, message: Message, limits: Limits = DEFAULT_LIMITS) -> DecodeResult:
    """Decode a request already parsed (e.g. from OTLP/JSON) by way of its protobuf bytes."""
    return decode_protobuf(signal, message.SerializeToString(), limits)


def _warnings(why: str, truncated: int, repaired: int, limits: Limits) -> str:
    notes = [why] if why else []
    if truncated:
        notes.append(
            f"truncated {truncated} string{'s' if truncated != 1 else ''} to their length limits "
            f"(collector.max_attribute_value_length {limits.max_value_length}, max_name_length "
            f"{limits.max_name_length}, max_log_body_length {limits.max_body_length} characters)"
        )
    if repaired:
        notes.append(f"replaced invalid UTF-8 with U+FFFD in {repaired} string field{'s' if repaired != 1 else ''}")
    return "; ".join(notes)


def _not_readable(signal: Signal, exc: Exception) -> str:
    name = REQUEST_TYPES[signal].DESCRIPTOR.name
    return f"the body is not a valid OTLP/protobuf {name} ({exc})"


def _drop(items: object, bad: list[int]) -> None:
    for i in reversed(bad):
        del items[i]  # type: ignore[attr-defined]


def _message(rejected: int, noun: str, first: str) -> str:
    return f"rejected {rejected} {noun}{'s' if rejected != 1 else ''}; first problem: {first}" if rejected else ""


def _span_problem(span: Message, limits: Limits, window: tuple[int, int]) -> str:
    if len(span.trace_id) != 16 or span.trace_id == _ZERO_TRACE:
        return f"trace_id must be 16 bytes, not all zero (got {span.trace_id.hex() or 'none'})"
    if len(span.span_id) != 8 or span.span_id == _ZERO_SPAN:
        return f"span_id must be 8 bytes, not all zero (got {span.span_id.hex() or 'none'})"
    if len(span.parent_span_id) not in (0, 8):
        return f"parent_span_id must be empty or 8 bytes (got {span.parent_span_id.hex()})"
    if len(span.attributes) > limits.max_attributes:
        return attributes_problem(len(span.attributes), limits)
    return timestamp_problem(Signal.TRACES, limits, "start_time_unix_nano", span.start_time_unix_nano, window)


def check_traces(request: Message, limits: Limits) -> Check:
    """Count spans and drop the invalid ones in place."""
    total = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    _refuse_too_many(Signal.TRACES, total, limits)
    low, high = window = limits.window(Signal.TRACES)
    most = limits.max_attributes
    accepted = rejected = 0
    first = ""
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            spans = ss.spans
            # one comprehension with cheap field reads: this loop is the per-span cost of the hot path
            bad = [
                i
                for i, s in enumerate(spans)
                if len(s.trace_id) != 16
                or len(s.span_id) != 8
                or len(s.parent_span_id) not in (0, 8)
                or s.trace_id == _ZERO_TRACE
                or s.span_id == _ZERO_SPAN
                or not low <= s.start_time_unix_nano <= high
                or len(s.attributes) > most
            ]
            if bad:
                first = first or _span_problem(spans[bad[0]], limits, window)
                _drop(spans, bad)
                rejected += len(bad)
            accepted += len(spans)
    return accepted, rejected, _message(rejected, "span", first)


def _log_problem(r: Message, limits: Limits, window: tuple[int, int]) -> str:
    if len(r.trace_id) not in (0, 16) or len(r.span_id) not in (0, 8):
        return (
            "trace_id must be empty or 16 bytes and span_id empty or 8 bytes "
            f"(got {r.trace_id.hex() or 'none'} / {r.span_id.hex() or 'none'})"
        )
    if len(r.attributes) > limits.max_attributes:
        return attributes_problem(len(r.attributes), limits)
    if r.time_unix_nano:
        return timestamp_problem(Signal.LOGS, limits, "time_unix_nano", r.time_unix_nano, window)
    return timestamp_problem(Signal.LOGS, limits, "observed_time_unix_nano", r.observed_time_unix_nano, window)


def check_logs(request: Message, limits: Limits) -> Check:
    """Count log records and drop those with malformed trace context, bad time or too many attributes."""
    total = sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    _refuse_too_many(Signal.LOGS, total, limits)
    low, high = window = limits.window(Signal.LOGS)
    most = limits.max_attributes
    accepted = rejected = 0
    first = ""
    for rl in request.resource_logs:
        for sl in rl.scope_logs:
            records = sl.log_records
            bad = [
                i
                for i, r in enumerate(records)
                if len(r.trace_id) not in (0, 16)
                or len(r.span_id) not in (0, 8)
                or not low <= (r.time_unix_nano or r.observed_time_unix_nano) <= high
                or len(r.attributes) > most
            ]
            if bad:
                first = first or _log_problem(records[bad[0]], limits, window)
                _drop(records, bad)
                rejected += len(bad)
            accepted += len(records)
    return accepted, rejected, _message(rejected, "log record", first)


def _point_problem(p: Message, limits: Limits, window: tuple[int, int]) -> str:
    if len(p.attributes) > limits.max_attributes:
        return attributes_problem(len(p.attributes), limits)
    return timestamp_problem(Signal.METRICS, limits, "time_unix_nano", p.time_unix_nano, window)


def _data_points(request: Message) -> list[tuple[Message, int, Message | None]]:
    """(scope metrics, metric index, data_points or None) for every metric."""
    found = []
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for i, m in enumerate(sm.metrics):
                kind = m.WhichOneof("data")
                found.append((sm, i, getattr(m, kind).data_points if kind else None))
    return found


def check_metrics(request: Message, limits: Limits) -> Check:
    """Count data points; drop metrics without a name and points with a bad time or too many attributes."""
    metrics = _data_points(request)
    _refuse_too_many(Signal.METRICS, sum(len(points) for _, _, points in metrics if points is not None), limits)
    low, high = window = limits.window(Signal.METRICS)
    most = limits.max_attributes
    accepted = rejected = 0
    first = ""
    nameless: list[tuple[Message, int]] = []
    for sm, i, points in metrics:
        if not sm.metrics[i].name:
            nameless.append((sm, i))
            rejected += len(points) if points is not None else 0
            first = first or "a metric must have a name"
            continue
        if points is None:
            continue
        bad = [j for j, p in enumerate(points) if not low <= p.time_unix_nano <= high or len(p.attributes) > most]
        if bad:
            first = first or _point_problem(points[bad[0]], limits, window)
            _drop(points, bad)
            rejected += len(bad)
        accepted += len(points)
    for sm, i in reversed(nameless):  # reversed: earlier indexes stay valid while later ones go
        del sm.metrics[i]
    return accepted, rejected, _message(rejected, "data point", first)


def _refuse_too_many(signal: Signal, items: int, limits: Limits) -> None:
    if items > limits.max_items:
        raise TooManyItems(
            f"the request holds {items} {_NOUNS[signal]}s, more than collector.max_items_per_request "
            f"({limits.max_items}); send smaller batches"
        )


_NOUNS = {Signal.TRACES: "span", Signal.LOGS: "log record", Signal.METRICS: "data point"}
_CHECKS = {Signal.TRACES: check_traces, Signal.LOGS: check_logs, Signal.METRICS: check_metrics}
