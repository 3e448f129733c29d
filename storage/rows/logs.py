"""Log records to otel_logs columns."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from storage.rows.attributes import attributes, hex_id, nanos, text

COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "TraceFlags", "SeverityText", "SeverityNumber", "ServiceName",
    "Body", "ResourceSchemaUrl", "ResourceAttributes", "ScopeSchemaUrl", "ScopeName", "ScopeVersion",
    "ScopeAttributes", "LogAttributes", "EventName",
)  # fmt: skip


def log_tables(bodies: list[bytes]) -> dict[str, dict[str, list]]:
    """Build otel_logs columns from serialized ExportLogsServiceRequests."""
    request = ExportLogsServiceRequest()
    request.ParseFromString(b"".join(bodies))  # concatenated requests merge into one
    rows = []
    for rl in request.resource_logs:
        resource = attributes(rl.resource.attributes)
        service = resource.get("service.name", "")
        for sl in rl.scope_logs:
            scope = sl.scope
            scope_attributes = attributes(scope.attributes)
            for r in sl.log_records:
                rows.append((
                    nanos(r.time_unix_nano or r.observed_time_unix_nano), hex_id(r.trace_id),
                    hex_id(r.span_id), r.flags & 0xFF, r.severity_text, r.severity_number & 0xFF, service,
                    text(r.body), rl.schema_url, resource, sl.schema_url, scope.name, scope.version,
                    scope_attributes, attributes(r.attributes), r.event_name,
                ))  # fmt: skip
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in COLUMNS]
    return {"otel_logs": dict(zip(COLUMNS, columns, strict=True))}
