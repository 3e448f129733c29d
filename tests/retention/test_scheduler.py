"""The scheduler only asks the roller what is due; a failing run is logged, counted, makes /readyz
unready and is retried; a second roller respects the lock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest

from otelhouse.folderlock import FolderLock
from otelhouse.health import add_health_routes
from otelhouse.runtime import _add_ready_check
from retention.health import RetentionCollector
from retention.roller import RollerBusy
from retention.scheduler import RetentionService
from tests.retention.data import day_sums, ingest


def test_cron_triggers_fire_daily_on_mondays_and_on_the_first_in_the_policy_timezone() -> None:
    service = RetentionService(roller=None, timezone="Europe/Berlin")  # type: ignore[arg-type]
    wednesday = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    jobs = {job.id: job for job in service.scheduler.get_jobs()}
    fire = {name: jobs[name].trigger.get_next_fire_time(None, wednesday) for name in ("daily", "weekly", "monthly")}
    assert fire["daily"].isoformat() == "2026-03-12T00:10:00+01:00"
    assert fire["weekly"].isoformat() == "2026-03-16T00:20:00+01:00"  # a Monday
    assert fire["monthly"].isoformat() == "2026-04-01T00:30:00+00:00"  # UTC: see the DST note in scheduler.py
    defaults = service.scheduler._job_defaults
    assert defaults["misfire_grace_time"] is None and defaults["coalesce"] is True


async def test_a_failing_run_is_counted_marks_unready_and_is_retried(
    make_roller, clock, tmp_path: Path, aiohttp_client
) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the archive folder should be")
    roller, store = make_roller(clock, archive_dir=str(blocker / "archive"))
    ingest(store, "otel_logs", date(2026, 2, 1), 50)
    service = RetentionService(roller, "UTC")
    service.scheduler.start(paused=True)
    try:
        await service.run()
        assert service.health.consecutive_failures == 1 and "archive" in service.health.last_error
        assert service.scheduler.get_job("retry") is not None
        # nothing unverified was dropped: the rows wait in the rolling table (which the log explorer reads too)
        assert day_sums(store, "otel_logs_rolling", "Timestamp")[date(2026, 2, 1)][0] == 50

        app = web.Application()
        add_health_routes(app, store)
        _add_ready_check(app, service.health.problem)
        client = await aiohttp_client(app)
        response = await client.get("/readyz")
        body = await response.json()
        assert response.status == 503 and any("retention" in p for p in body["problems"])
        registry = CollectorRegistry()
        registry.register(RetentionCollector(service.health))
        metrics = generate_latest(registry).decode()
        assert "otelhouse_retention_failures_total 1.0" in metrics and "otelhouse_retention_healthy 0.0" in metrics

        blocker.unlink()  # the operator fixes the folder; the retry succeeds
        await service.run()
        assert service.health.problem() == "" and service.health.rows_archived == 50
        assert (await client.get("/readyz")).status == 200
        assert "otelhouse_retention_healthy 1.0" in generate_latest(registry).decode()
    finally:
        service.stop()


def test_a_second_roller_respects_the_lock(make_roller, clock, tmp_path: Path) -> None:
    roller, store = make_roller(clock)
    ingest(store, "otel_logs", date(2026, 2, 1), 10)
    other = FolderLock(tmp_path / "state")  # as another process would hold it
    other.acquire()
    try:
        with pytest.raises(RollerBusy, match="another roller"):
            roller.run_due()
    finally:
        other.release()
    assert roller.archiver.partitions()["otel_logs"] == [date(2026, 2, 1)]
    roller.run_due()
    assert "otel_logs" not in roller.archiver.partitions()
