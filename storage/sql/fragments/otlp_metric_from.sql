FROM ${db}.otlp_metrics_staging
ARRAY JOIN resource_metrics.resource.attributes AS r_attributes, resource_metrics.schema_url AS r_schema_url,
    resource_metrics.scope_metrics.scope AS scopes, resource_metrics.scope_metrics.schema_url AS s_schema_urls,
    resource_metrics.scope_metrics.metrics.name AS names2, resource_metrics.scope_metrics.metrics.description AS descriptions2,
    resource_metrics.scope_metrics.metrics.unit AS units2,
