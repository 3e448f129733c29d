#!/bin/bash
# Run once by the ClickHouse image on its first start (/docker-entrypoint-initdb.d): the user Grafana
# reads with. SELECT on otel.* only, readonly = 2 (the plugin sets max_execution_time on every query,
# which readonly = 1 refuses), so a Grafana editor cannot change or drop otelhouse's tables.
# The password is stored as its SHA-256, so nothing typed into the file can end the SQL string.
set -euo pipefail
hash=$(tr -d '\r\n' < /run/secrets/grafana_clickhouse_password | sha256sum | cut -d' ' -f1)
clickhouse client --host 127.0.0.1 --user "${CLICKHOUSE_USER}" --password "$(cat /run/secrets/clickhouse_password)" --multiquery --query "
    CREATE USER IF NOT EXISTS grafana IDENTIFIED WITH sha256_hash BY '${hash}' SETTINGS readonly = 2;
    GRANT SELECT ON ${CLICKHOUSE_DB}.* TO grafana;
"
