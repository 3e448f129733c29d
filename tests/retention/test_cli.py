"""`otelhouse roll`, `archives list|verify` and `restore logs|drop` as a user runs them (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

OTELHOUSE = [sys.executable, "-m", "otelhouse"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTELHOUSE_")}
    return subprocess.run(args, env={**clean, **env}, capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_roll_list_verify_restore_and_drop_from_the_command_line(tmp_path: Path) -> None:
    env = {
        "OTELHOUSE_CLICKHOUSE_URL": f"chdb://{tmp_path}/clickhouse",
        "OTELHOUSE_RETENTION_ARCHIVE_DIR": str(tmp_path / "archive"),
        "OTELHOUSE_RETENTION_STATE_DIR": str(tmp_path / "state"),
        "OTELHOUSE_RETENTION_LOGS_PERIOD": "weekly",
        "OTELHOUSE_LOG_FORMAT": "text",
    }
    # three weeks of logs ending a month ago: all past the 14 hot days
    start = (datetime.now(UTC) - timedelta(days=60)).date()
    start -= timedelta(days=start.weekday())
    seeded = run([sys.executable, "-m", "tests.retention.seed", start.isoformat(), "2100", "21"], env)
    assert seeded.returncode == 0, seeded.stderr

    dry = run([*OTELHOUSE, "roll", "--signal", "logs", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    assert f"roll logs weekly {start.isoformat()}: archive and drop" in dry.stdout
    assert "nothing changed" in dry.stdout

    rolled = run([*OTELHOUSE, "roll", "--signal", "logs"], env)
    assert rolled.returncode == 0, rolled.stderr
    assert "2100 rows archived, verified and dropped" in rolled.stdout
    assert "rolling [" in rolled.stderr  # the progress bar

    listing = json.loads(run([*OTELHOUSE, "archives", "list", "--json"], env).stdout)
    assert sum(r["rows"] for r in listing) == 2100 and all(r["status"] == "verified" for r in listing)
    assert all(r["bytes"] > 0 for r in listing) and {r["table"] for r in listing} == {"otel_logs"}

    assert run([*OTELHOUSE, "archives", "verify", "--all"], env).returncode == 0
    victim = next((tmp_path / "archive").rglob("*.parquet"))
    victim.write_bytes(b"not parquet")
    bad = run([*OTELHOUSE, "archives", "verify", "--all"], env)
    assert bad.returncode == 1 and "corrupt or missing" in bad.stdout

    last = start + timedelta(days=20)
    restored = run([*OTELHOUSE, "restore", "logs", "--from", start.isoformat(), "--to", last.isoformat()], env)
    assert restored.returncode == 0, restored.stderr
    assert "restoring [" in restored.stderr and "otel_logs_restored now holds" in restored.stdout
    dropped = run([*OTELHOUSE, "restore", "drop"], env)
    assert dropped.returncode == 0 and "dropped" in dropped.stdout
