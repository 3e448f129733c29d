FROM ${db}.otlp_metrics_staging
ARRAY JOIN resource_metrics AS rm
ARRAY JOIN rm.scope_metrics AS sm
ARRAY JOIN sm.metrics AS m
