"""The same roll, compaction and restore against a real S3-compatible server on localhost (moto's standalone
server from PyPI) through ClickHouse's s3() function; credentials come from secret files."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import boto3
import pytest

from retention.restore import restore_logs
from storage.queries.archives import table_sums
from tests.conftest import free_port
from tests.retention.data import day_sums, ingest
from tests.retention.test_roll import active, archived_sums

BUCKET = "otelhouse-archive"


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.3)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.slow
def test_roll_compact_and_restore_through_s3(make_roller, clock, s3_endpoint: str, tmp_path: Path) -> None:
    key_file, secret_file = tmp_path / "key", tmp_path / "secret"
    key_file.write_text("test\n")
    secret_file.write_text("test\n")
    roller, store = make_roller(
        clock,
        archive_url=f"{s3_endpoint}/{BUCKET}/prod",
        s3_access_key_id_file=str(key_file),
        s3_secret_access_key_file=str(secret_file),
        logs_period="weekly",
    )
    ingest(store, "otel_logs", date(2026, 1, 5), 30 * 21, days=21)
    ingested = day_sums(store, "otel_logs", "Timestamp")
    roller.run_due(["logs"])

    assert day_sums(store, "otel_logs", "Timestamp") == {}
    archived = archived_sums(roller, store, "otel_logs")
    assert {d: tuple(s) for d, s in archived.items()} == ingested
    # three weeks compacted into January: only the monthly object is left in the bucket
    (january,) = active(roller)
    assert january.kind == "monthly" and january.location.startswith(s3_endpoint)
    bucket = boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == ["prod/otel_logs/monthly/2026-01-01/part-0000.parquet"]
    assert roller.archiver.check(january) == ""

    restore_logs(store, roller.root, "UTC", date(2026, 1, 5), date(2026, 1, 25))
    restored = table_sums(store.client(), store.database, "otel_logs_restored")
    assert restored.rows == sum(r for r, _ in ingested.values())
    assert restored.hash == sum(h for _, h in ingested.values()) % 2**64
