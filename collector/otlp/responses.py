"""Export*ServiceResponse messages, with partial_success when items were rejected."""

from __future__ import annotations

from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb

from collector.otlp.model import Signal

REQUEST_TYPES: dict[Signal, type[Message]] = {
    Signal.TRACES: trace_pb.ExportTraceServiceRequest,
    Signal.METRICS: metrics_pb.ExportMetricsServiceRequest,
    Signal.LOGS: logs_pb.ExportLogsServiceRequest,
}


def export_response(signal: Signal, rejected: int = 0, message: str = "") -> Message:
    """Build the success response; partial_success is set only when something was rejected."""
    if signal is Signal.TRACES:
        response = trace_pb.ExportTraceServiceResponse()
        if rejected or message:
            response.partial_success.rejected_spans = rejected
    elif signal is Signal.METRICS:
        response = metrics_pb.ExportMetricsServiceResponse()
        if rejected or message:
            response.partial_success.rejected_data_points = rejected
    else:
        response = logs_pb.ExportLogsServiceResponse()
        if rejected or message:
            response.partial_success.rejected_log_records = rejected
    if rejected or message:
        response.partial_success.error_message = message
    return response


def status_message(code: int, message: str) -> status_pb2.Status:
    """A google.rpc.Status, the body of an OTLP/HTTP error response."""
    return status_pb2.Status(code=code, message=message)


def retry_trailers(code: int, message: str, retry_after_s: int) -> tuple[tuple[str, bytes], ...]:
    """gRPC trailing metadata saying the refusal is temporary and when to retry.

    The OTLP spec has clients retry RESOURCE_EXHAUSTED only when the status carries a RetryInfo
    (the Go SDK and the Collector's exporter drop the data otherwise): it goes in the status details
    (`grpc-status-details-bin`), and also under `google.rpc.retryinfo-bin`, where the Python SDK
    reads the delay.
    """
    info = error_details_pb2.RetryInfo()
    info.retry_delay.seconds = retry_after_s
    status = status_message(code, message)
    status.details.add().Pack(info)
    details = status.SerializeToString()
    return ("grpc-status-details-bin", details), ("google.rpc.retryinfo-bin", info.SerializeToString())
