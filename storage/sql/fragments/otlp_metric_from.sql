FROM ${db}.otlp_metrics_staging
ARRAY JOIN resource_metrics.resource.attributes AS r_attributes, resource_metrics.schema_url AS r_schema_url, resource_metrics.scope_metrics AS sms
ARRAY JOIN sms.scope AS scope, sms.schema_url AS s_schema_url, sms.metrics AS ms
ARRAY JOIN ms.name AS MetricName, ms.description AS MetricDescription, ms.unit AS MetricUnit,
