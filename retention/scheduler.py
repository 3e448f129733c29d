"""The retention scheduler: APScheduler cron jobs that only ask the roller to do what is due.

What is due is computed from the archives and the clock, not from which trigger fired, so a job that
fires late, twice, or after downtime does the right thing: at start-up every missed period is rolled,
oldest first. A failing run is logged once, counted, makes /readyz unready and is retried with backoff.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from otelhouse.config import Settings
from otelhouse.secrets import Lookup
from retention.health import RetentionHealth
from retention.roller import Roller, RollerBusy
from storage import Store

log = logging.getLogger(__name__)
# Explicit fields, not from_crontab (which counts day 0 as Monday): day_of_week="mon" is unambiguous.
CRON = {
    "daily": {"hour": 0, "minute": 10},
    "weekly": {"day_of_week": "mon", "hour": 0, "minute": 20},
    "monthly": {"day": 1, "hour": 0, "minute": 30},
}
BACKOFF_S = (60, 300, 900, 3600)


def create_scheduler(timezone: str = "UTC") -> AsyncIOScheduler:
    """Build the scheduler; jobs compute what is due themselves, so a late start never skips one."""
    # misfire_grace_time=None: a job that is late (process was down) still runs; coalesce runs it once
    return AsyncIOScheduler(
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        timezone=timezone,
    )


class RetentionService:
    """Runs the roller on cron triggers per period, at start-up (catch-up), and on retry after a failure."""

    def __init__(self, roller: Roller, timezone: str, health: RetentionHealth | None = None) -> None:
        self.roller = roller
        self.health = health or RetentionHealth()
        self.scheduler = create_scheduler(timezone)
        for period, fields in CRON.items():
            # APScheduler 3.11 skips a month across a DST change (Berlin: after 11 March comes 1 May), so the
            # monthly wake-up is kept in UTC; the daily one closes every local period anyway
            zone = "UTC" if period == "monthly" else timezone
            self.scheduler.add_job(self.run, CronTrigger(timezone=zone, **fields), id=period, name=f"{period} roll")

    def start(self) -> None:
        """Start the triggers and a catch-up run now."""
        self.scheduler.start()
        self.scheduler.add_job(self.run, id="catch-up", name="catch-up roll")

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)

    async def run(self) -> None:
        """Do what is due in a worker thread; never let an error escape (it would only reach APScheduler's log)."""
        try:
            report = await asyncio.to_thread(self.roller.run_due)
        except RollerBusy as exc:
            log.info("retention run skipped", extra={"reason": str(exc)})
            return
        except Exception as exc:
            self.health.failed(str(exc))
            delay = BACKOFF_S[min(self.health.consecutive_failures, len(BACKOFF_S)) - 1]
            log.error(
                "retention run failed; retrying",
                extra={"error": str(exc), "failures_in_a_row": self.health.consecutive_failures, "retry_in_s": delay},
            )
            retry_at = datetime.now(UTC) + timedelta(seconds=delay)  # the scheduler runs on the real clock
            self.scheduler.add_job(self.run, "date", run_date=retry_at, id="retry", replace_existing=True)
            return
        self.health.succeeded(len(report.done), report.rows_archived)
        if report.done:
            log.info("retention run done", extra={"steps": len(report.done), "rows_archived": report.rows_archived})


def start_retention(settings: Settings, store: Store, secrets: Lookup | None = None) -> RetentionService:
    """Start the scheduled roller on a store (its catch-up run begins at once); S3 credentials from `secrets`."""
    service = RetentionService(Roller(settings, store, secrets=secrets), settings.retention.timezone)
    service.start()
    return service
