"""JSON-lines logs: split a body into lines, tell each line's logger by its shape, map it to OTel log records."""
