"""The retention scheduler: an APScheduler in the serving process that runs the rolling jobs."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


def create_scheduler() -> AsyncIOScheduler:
    """Build the scheduler; jobs compute what is due themselves, so a late start never skips one."""
    # misfire_grace_time=None: a job that is late (process was down) still runs; coalesce runs it once
    return AsyncIOScheduler(
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        timezone="UTC",
    )
