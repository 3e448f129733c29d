"""At start-up, once the store answers, warn about KPI panels that read metrics the store has never seen."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

from dashboard.appstate import STAKEHOLDERS_KEY
from otelhouse.health import STORE_KEY
from otelhouse.stakeholders import Stakeholders
from storage import StoreError
from storage.queries.common import NS, Window
from storage.queries.kpi import metric_names

log = logging.getLogger(__name__)
LOOK_BACK_DAYS = 30
RETRY_S = (1, 2, 5, 10, 30, 60)


def unknown_metrics(book: Stakeholders, known: set[str]) -> dict[str, list[str]]:
    """Return each metric the pages read that is not among `known` -> the panels that read it."""
    return {metric: places for metric, places in book.metrics().items() if metric not in known}


async def _check(app: web.Application) -> None:
    store, book = app[STORE_KEY], app[STAKEHOLDERS_KEY]
    for attempt in range(10_000):
        now = time.time_ns()
        w = Window(now - LOOK_BACK_DAYS * 86400 * NS, now + 60 * NS)
        try:
            known = await store.acall(lambda c, w=w: metric_names(c, store.database, w))
            break
        except StoreError:  # not reachable yet: check once it is
            await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
    else:
        return
    if not known:  # a new install: nothing has sent a metric yet, so every panel's would be "unknown"
        log.info("no metrics stored yet: the KPI pages fill in once services send theirs")
        return
    for metric, places in unknown_metrics(book, known).items():
        log.warning(
            f"KPI panels read metric {metric!r}, which has no point in the last {LOOK_BACK_DAYS} days",
            extra={"metric": metric, "panels": ", ".join(places), "stakeholders_file": book.source},
        )


async def warn_unknown_metrics(app: web.Application) -> AsyncIterator[None]:
    """Run the check in the background for the app's lifetime (cleanup_ctx)."""

    async def guarded() -> None:
        try:
            await _check(app)
        except Exception:  # a check must never take the dashboard down, nor die without a word
            log.exception("checking the KPI pages' metrics failed")

    task = asyncio.create_task(guarded())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
