"""The demo shop: simulated services that send real OpenTelemetry telemetry to otelhouse."""
