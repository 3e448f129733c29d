multiIf(
    ${otlp_text_scalar},
    '')
