"""The real OpenTelemetry SDK exporting spans over OTLP/HTTP; ids of every export that succeeded go to a file.

python -m tests.collector.crash.sdk_sender HTTP_URL ACK_FILE STOP_FILE
"""

import os
import sys
import time

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult


class RecordingExporter(OTLPSpanExporter):
    """The SDK's exporter, noting the span ids of each export the collector acknowledged."""

    def __init__(self, acks, **kw) -> None:
        super().__init__(**kw)
        self.acks = acks

    def export(self, spans):
        result = super().export(spans)
        if result is SpanExportResult.SUCCESS:
            self.acks.write("".join(f"{s.context.span_id:016x}\n" for s in spans))
        return result


def main() -> None:
    http_url, ack_path, stop_path = sys.argv[1:4]
    with open(ack_path, "a", buffering=1) as acks:
        provider = TracerProvider(resource=Resource.create({"service.name": "crash-sdk"}))
        exporter = RecordingExporter(acks, endpoint=f"{http_url}/v1/traces", timeout=5)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        tracer = provider.get_tracer("crash")
        while not os.path.exists(stop_path):
            with tracer.start_as_current_span("sdk-work"):
                time.sleep(0.002)
        provider.shutdown()


if __name__ == "__main__":
    main()
