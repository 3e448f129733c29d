"""Spans to otel_traces columns."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from storage.rows.attributes import attributes, hex_id, nanos

SPAN_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
STATUS_CODES = ("Unset", "Ok", "Error")
COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind", "ServiceName",
    "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes", "Duration", "StatusCode",
    "StatusMessage", "Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId",
    "Links.SpanId", "Links.TraceState", "Links.Attributes",
)  # fmt: skip


def _name(names: tuple[str, ...], n: int) -> str:
    return names[n] if 0 <= n < len(names) else names[0]


def trace_tables(bodies: list[bytes]) -> dict[str, dict[str, list]]:
    """Build otel_traces columns from serialized ExportTraceServiceRequests."""
    request = ExportTraceServiceRequest()
    request.ParseFromString(b"".join(bodies))  # concatenated requests merge into one
    rows = []
    for rs in request.resource_spans:
        resource = attributes(rs.resource.attributes)
        service = resource.get("service.name", "")
        for ss in rs.scope_spans:
            scope = ss.scope
            for s in ss.spans:
                start, end = s.start_time_unix_nano, s.end_time_unix_nano
                events, links = s.events, s.links
                rows.append((
                    nanos(start), s.trace_id.hex(), s.span_id.hex(), hex_id(s.parent_span_id),
                    s.trace_state, s.name, _name(SPAN_KINDS, s.kind), service, resource,
                    scope.name, scope.version, attributes(s.attributes), end - start if end > start else 0,
                    _name(STATUS_CODES, s.status.code), s.status.message,
                    [nanos(e.time_unix_nano) for e in events], [e.name for e in events],
                    [attributes(e.attributes) for e in events],
                    [hex_id(x.trace_id) for x in links], [hex_id(x.span_id) for x in links],
                    [x.trace_state for x in links], [attributes(x.attributes) for x in links],
                ))  # fmt: skip
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in COLUMNS]
    return {"otel_traces": dict(zip(COLUMNS, columns, strict=True))}
