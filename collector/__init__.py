"""The collector: receives telemetry, validates it, logs it durably, batches it into storage."""
