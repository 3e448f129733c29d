"""A Jaeger Thrift Batch -> an OTLP ExportTraceServiceRequest, as the OpenTelemetry Jaeger translator maps it.

process -> resource (service.name + process tags); tags -> attributes, except `span.kind` (the span
kind), `otel.status_code`/`otel.status_description` or a true `error` tag (the status),
`otel.library.name`/`.version` (the scope) and `w3c.tracestate`; logs -> events (the `event` field
names them); parentSpanId (or, without it, the first CHILD_OF reference) -> the parent; other
references -> links with an `opentracing.ref_type` attribute; ids -> big-endian bytes (stored as
lower-case hex); microseconds -> nanoseconds.
"""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from collector.converted import Converted
from collector.otlp.model import InvalidRequest

STRING, DOUBLE, BOOL, LONG, BINARY = range(5)
CHILD_OF, FOLLOWS_FROM = 0, 1
SPAN_KINDS = {
    "client": Span.SPAN_KIND_CLIENT,
    "server": Span.SPAN_KIND_SERVER,
    "producer": Span.SPAN_KIND_PRODUCER,
    "consumer": Span.SPAN_KIND_CONSUMER,
    "internal": Span.SPAN_KIND_INTERNAL,
}
_MAX_MICROS = ((1 << 64) - 1) // 1000


class BadSpan(ValueError):
    """A span that cannot be represented in OTLP; it is rejected alone."""


def nanos(micros: int, what: str) -> int:
    """Jaeger's microseconds as OTLP's unsigned 64-bit nanoseconds."""
    if not 0 <= micros <= _MAX_MICROS:
        raise BadSpan(f"{what} {micros} is out of range")
    return micros * 1000


_REQUIRED = ("traceIdLow", "traceIdHigh", "spanId", "operationName", "startTime", "duration")


def text(value: str | bytes | None) -> str:
    """A Thrift string; thriftpy2 hands back bytes when they are not UTF-8, so repair them as OTLP does."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value or ""


def _id(value: int, size: int) -> bytes:
    return (value & ((1 << (8 * size)) - 1)).to_bytes(size, "big")


def trace_id(high: int, low: int) -> bytes:
    """Jaeger's two signed 64-bit halves as the 16-byte OTLP trace id."""
    return _id(high, 8) + _id(low, 8)


def tag_value(tag) -> tuple[str, object]:
    """The AnyValue field and value a Jaeger tag carries (by its declared type)."""
    kind = tag.vType
    if kind == DOUBLE:
        return "double_value", tag.vDouble or 0.0
    if kind == BOOL:
        return "bool_value", bool(tag.vBool)
    if kind == LONG:
        return "int_value", tag.vLong or 0
    if kind == BINARY:
        return "bytes_value", tag.vBinary or b""
    return "string_value", text(tag.vStr)


def _tags(tags, out) -> dict[str, object]:
    """Append tags to a repeated KeyValue field; return them as a dict for the special keys."""
    plain: dict[str, object] = {}
    for tag in tags or ():
        if tag is None or tag.key is None:
            continue
        field, value = tag_value(tag)
        key = text(tag.key)
        plain[key] = value
        kv = out.add(key=key)
        setattr(kv.value, field, value)
    return plain


def _drop(attributes, keys: set[str]) -> None:
    kept = [kv for kv in attributes if kv.key not in keys]
    del attributes[:]
    attributes.extend(kept)


def _status(span: Span, tags: dict[str, object]) -> set[str]:
    """Set the span status from its tags; return the tags that were consumed."""
    code = str(tags.get("otel.status_code", "")).upper()
    if code in ("OK", "ERROR"):
        span.status.code = Status.STATUS_CODE_OK if code == "OK" else Status.STATUS_CODE_ERROR
        span.status.message = str(tags.get("otel.status_description", ""))
        return {"otel.status_code", "otel.status_description"}
    if tags.get("error") in (True, "true"):
        span.status.code = Status.STATUS_CODE_ERROR
        return {"error"}
    return set()


def _span(js, out: Span) -> tuple[str, str]:
    """Fill an OTLP span from a Jaeger span; return its scope (name, version)."""
    out.trace_id = trace_id(js.traceIdHigh, js.traceIdLow)
    out.span_id = _id(js.spanId, 8)
    out.name = text(js.operationName)
    out.start_time_unix_nano = nanos(js.startTime, "startTime")
    out.end_time_unix_nano = nanos(js.startTime + max(js.duration, 0), "startTime + duration")
    tags = _tags(js.tags, out.attributes)
    consumed = _status(out, tags)
    kind = str(tags.get("span.kind", "")).lower()
    if kind in SPAN_KINDS:
        out.kind = SPAN_KINDS[kind]
    out.trace_state = str(tags.get("w3c.tracestate", ""))
    consumed |= {"span.kind", "w3c.tracestate", "otel.library.name", "otel.library.version"}
    _drop(out.attributes, consumed & tags.keys())
    parent = js.parentSpanId or 0
    for ref in js.references or ():
        if ref is None or ref.spanId is None:
            continue
        same_trace = (ref.traceIdHigh, ref.traceIdLow) == (js.traceIdHigh, js.traceIdLow)
        if ref.refType == CHILD_OF and same_trace and (parent == 0 or ref.spanId == parent):
            parent = ref.spanId
            continue
        link = out.links.add(trace_id=trace_id(ref.traceIdHigh or 0, ref.traceIdLow or 0), span_id=_id(ref.spanId, 8))
        ref_type = "follows_from" if ref.refType == FOLLOWS_FROM else "child_of"
        link.attributes.add(key="opentracing.ref_type").value.string_value = ref_type
    if parent:
        out.parent_span_id = _id(parent, 8)
    for log in js.logs or ():
        if log is None or log.timestamp is None:
            continue
        event = out.events.add(time_unix_nano=nanos(log.timestamp, "a log's timestamp"))
        fields = _tags(log.fields, event.attributes)
        if isinstance(fields.get("event"), str):
            event.name = fields["event"]
            _drop(event.attributes, {"event"})
    return str(tags.get("otel.library.name", "")), str(tags.get("otel.library.version", ""))


def to_otlp(batch) -> Converted:
    """Translate a decoded Batch; raise InvalidRequest when it lacks its process or span list."""
    if batch.process is None or batch.process.serviceName is None:
        raise InvalidRequest("the Jaeger batch has no process (process.serviceName is required)")
    if batch.spans is None:
        raise InvalidRequest("the Jaeger batch has no spans list")
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.append(KeyValue(key="service.name"))
    rs.resource.attributes[0].value.string_value = text(batch.process.serviceName)
    _tags(batch.process.tags, rs.resource.attributes)
    scopes: dict[tuple[str, str], object] = {}
    rejected, problem = 0, ""
    for js in batch.spans:
        missing = [name for name in _REQUIRED if js is None or getattr(js, name) is None]
        if missing:
            rejected += 1
            problem = problem or f"a span lacks required field(s) {', '.join(missing)}"
            continue
        span = Span()
        try:
            scope = _span(js, span)
        except BadSpan as exc:
            rejected += 1
            problem = problem or str(exc)
            continue
        if scope not in scopes:
            scopes[scope] = ss = rs.scope_spans.add()
            ss.scope.name, ss.scope.version = scope
        scopes[scope].spans.append(span)
    spans = sum(len(ss.spans) for ss in rs.scope_spans)
    return Converted(request.SerializeToString(), spans, rejected, problem)
