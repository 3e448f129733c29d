CREATE TABLE IF NOT EXISTS ${db}.otel_logs_all ${on_cluster} AS ${db}.otel_logs
ENGINE = Merge(${db}, '^otel_logs(_rolling|_restored)?\\z')
