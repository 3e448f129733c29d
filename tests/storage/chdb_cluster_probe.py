"""Run cluster DDL on a chDB of its own, started with a cluster config (a subprocess of the tests).

Reads {"folder", "config", "env", "statements"} as JSON on stdin; prints the error of each statement
(null when it ran) and the tables, engines and replica paths it created, as JSON on stdout. A process
of its own because chDB takes its configuration once per process, and the tests' engine has none.
"""

from __future__ import annotations

import json
import os
import sys
import time

import chdb


def main() -> None:
    job = json.load(sys.stdin)
    os.environ.update(job["env"])  # the config's from_env macros (CLICKHOUSE_SHARD, CLICKHOUSE_REPLICA)
    con = chdb.connect(f"{job['folder']}?config-file={job['config']}")
    cur = con.cursor()
    errors = []
    for statement in job["statements"]:
        started = time.monotonic()
        try:
            cur.execute(statement)
            errors.append(None)
        except Exception as exc:
            errors.append(str(exc).strip().splitlines()[0][:500])
        print(f"{time.monotonic() - started:.2f}s {statement[:80]!r}", file=sys.stderr)

    def rows(sql: str) -> list[list[str]]:
        cur.execute(sql)
        return [list(r) for r in cur.fetchall()]

    result = {
        "errors": errors,
        "tables": rows("SELECT database, name, engine, engine_full FROM system.tables WHERE database = 'otel'"),
        "replicas": rows("SELECT table, zookeeper_path, replica_name FROM system.replicas WHERE database = 'otel'"),
        "clusters": rows("SELECT cluster, shard_num, replica_num, host_name FROM system.clusters"),
        "macros": rows("SELECT macro, substitution FROM system.macros"),
    }
    json.dump(result, sys.stdout)
    sys.stdout.flush()
    # closing a chDB that holds Replicated tables on the test keeper waits for ever on their
    # background threads; the folder is a temporary one, so the process just ends
    os._exit(0)


if __name__ == "__main__":
    main()
