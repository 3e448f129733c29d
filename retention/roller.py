"""Run what is due: hold the roller lock, ask the plan, do its first step, ask again, until nothing is due."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from otelhouse.config import Settings
from otelhouse.folderlock import FolderBusy, FolderLock
from otelhouse.secrets import Lookup
from retention.archiver import Archiver, Fault
from retention.periods import hot_cutoff, local_midnight_ns
from retention.plan import Action, Cleanup, Compact, Expire, Resume, Roll, ServiceRoll, due
from retention.policy import SIGNALS, ArchiveRoot, Policy, policies, rolling_table
from storage import Store

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# A run stops after this many steps even if more keep coming (each step ends with a fresh plan).
MAX_STEPS = 10_000


class RollerBusy(Exception):
    """Another roller (maybe in another process) holds the lock."""


class RollFailed(Exception):
    """Some steps failed (each logged); the rest were done. Nothing unverified was dropped."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunReport:
    """What one run did: the steps done, rows archived, and the steps that failed with why."""

    done: list[str] = field(default_factory=list)
    rows_archived: int = 0
    failed: list[str] = field(default_factory=list)


def _service_cutoff_ns(policy: Policy, now: datetime) -> int:
    """Return the start of the first day still hot for every service kept shorter: rows before it may be due."""
    if not policy.services:
        return 0
    shortest = min(sp.hot_days for sp in policy.services)
    return local_midnight_ns(hot_cutoff(now, policy.timezone, shortest), policy.timezone)


class Roller:
    """Rolls, compacts and expires archives for every signal, one roller at a time (a file lock)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock = utc_now,
        fault: Fault | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        secrets: Lookup | None = None,
    ) -> None:
        r = settings.retention
        self.policies = policies(r)
        self.root = ArchiveRoot.from_settings(r, secrets)
        self.archiver = Archiver(store, self.root, fault)
        self.lock = FolderLock(r.state_dir)
        self.clock = clock
        self.progress = progress or (lambda done, total, what: None)

    def plan(self, signals: Iterable[str] = SIGNALS, now: datetime | None = None) -> list[Action]:
        """Return every step due now for the signals, in order."""
        now = now or self.clock()
        manifests = self.archiver.manifests()
        partitions = self.archiver.partitions()
        actions: list[Action] = []
        for signal in signals:
            policy = self.policies[signal]
            hot = {t: partitions.get(t, []) for t, _ in policy.tables}
            rolling = {t: partitions.get(rolling_table(t), []) for t, _ in policy.tables}
            services = self.archiver.service_days(policy, _service_cutoff_ns(policy, now))
            actions += due(policy, now, hot, rolling, [m for m in manifests if m.signal == signal], services)
        return actions

    def run_due(self, signals: Iterable[str] = SIGNALS, now: datetime | None = None) -> RunReport:
        """Do every step due, oldest first; raise RollerBusy if another roller runs, RollFailed if a step failed."""
        signals = tuple(signals)
        try:
            self.lock.acquire()
        except FolderBusy as busy:
            raise RollerBusy(f"another roller holds {busy.folder} (pid {busy.holder}); try again later") from None
        try:
            return self._run(signals, now)
        finally:
            self.lock.release()

    def _run(self, signals: tuple[str, ...], now: datetime | None) -> RunReport:
        report = RunReport()
        failed: set[Action] = set()
        expected = 0
        for _ in range(MAX_STEPS):
            todo = [a for a in self.plan(signals, now) if a not in failed]
            if not todo:
                break
            action = todo[0]
            expected = max(expected, len(report.done) + len(report.failed) + len(todo))
            self.progress(len(report.done) + len(report.failed), expected, action.describe())
            try:
                report.rows_archived += self._do(action)
                report.done.append(action.describe())
            except Exception as exc:  # one failed step must not stop the others; each is reported
                failed.add(action)
                report.failed.append(f"{action.describe()}: {exc}")
                log.error("retention step failed", extra={"step": action.describe(), "error": str(exc)})
        self.progress(len(report.done) + len(report.failed), expected, "done")
        if report.failed:
            raise RollFailed("; ".join(report.failed))
        return report

    def _do(self, action: Action) -> int:
        a = self.archiver
        if isinstance(action, Resume):
            return a.finish_rolling(self._policy(action.signal), action.table)
        if isinstance(action, Roll):
            policy = self._policy(action.signal)
            return sum(a.roll(policy, table, days) for table, days in sorted(action.partitions.items()))
        if isinstance(action, ServiceRoll):
            policy = self._policy(action.signal)
            return sum(a.roll_service(policy, t, action.service, action.period) for t in action.tables)
        if isinstance(action, Compact):
            a.compact(action.signal, action.table, action.target, action.sources)
        elif isinstance(action, Cleanup):
            a.cleanup(action.manifest_id)
        elif isinstance(action, Expire):
            a.remove(next(m for m in a.manifests() if m.id == action.manifest_id), "expired")
        return 0

    def _policy(self, signal: str) -> Policy:
        return self.policies[signal]
