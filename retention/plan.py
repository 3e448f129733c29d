"""What is due: a pure function of the policy, the archives, the hot partitions and `now`.

The roller asks again after every step, so a step that creates work (a roll completing a week)
shows up in the next answer, and a crash anywhere is finished by the next run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from retention.periods import RANK, Period, hot_cutoff, local_days_of, local_today, period_of
from retention.policy import Policy
from storage.queries.manifests import Manifest

LIVE = "verified"


@dataclass(frozen=True)
class Resume:
    """A rolling table holds rows of an interrupted roll: finish archiving and dropping them."""

    signal: str
    table: str

    def describe(self) -> str:
        return f"resume the interrupted roll of {self.table}"


@dataclass(frozen=True)
class Roll:
    """Archive one closed period's hot rows, verify, then drop their partitions."""

    signal: str
    period: Period
    partitions: dict[str, tuple[date, ...]] = field(hash=False, compare=False)

    def describe(self) -> str:
        days = sorted({d for ds in self.partitions.values() for d in ds})
        return f"roll {self.signal} {self.period}: archive and drop {len(days)} day partition(s) " + ", ".join(
            d.isoformat() for d in days
        )


@dataclass(frozen=True)
class ServiceRoll:
    """Archive one service's hot rows of a period closed for it (not yet for the signal), verify, delete them."""

    signal: str
    service: str
    period: Period
    tables: tuple[str, ...]

    def describe(self) -> str:
        return f"roll {self.signal} of service {self.service} {self.period}: archive and delete its rows"


@dataclass(frozen=True)
class Compact:
    """Merge finer archives of one table into one archive of a coarser period; remove them once verified."""

    signal: str
    table: str
    target: Period
    sources: tuple[str, ...]

    def describe(self) -> str:
        return f"compact {len(self.sources)} archive(s) of {self.table} into {self.target}"


@dataclass(frozen=True)
class _ArchiveStep:
    signal: str
    table: str
    manifest_id: str


@dataclass(frozen=True)
class Cleanup(_ArchiveStep):
    """Remove an archive that a verified compacted archive already holds."""

    def describe(self) -> str:
        return f"remove {self.manifest_id} (held by a verified compacted archive)"


@dataclass(frozen=True)
class Expire(_ArchiveStep):
    """Remove an archive whose period ended longer ago than the policy keeps archives."""

    def describe(self) -> str:
        return f"expire {self.manifest_id}"


Action = Resume | Roll | ServiceRoll | Compact | Cleanup | Expire


def due(
    policy: Policy,
    now: datetime,
    hot: dict[str, list[date]],
    rolling: dict[str, list[date]],
    manifests: list[Manifest],
    service_hot: dict[str, dict[str, list[date]]] | None = None,
) -> list[Action]:
    """Return what is due for one signal, in the order to do it: unfinished work first, then oldest first.

    `hot` and `rolling` map each table to its UTC day partitions holding rows; `manifests` are the
    newest versions of the signal's archive manifests; `service_hot` maps each service with a policy
    of its own to the local days (in the policy's timezone), per table, on which it has hot rows.
    """
    actions: list[Action] = [Resume(policy.signal, t) for t, _ in policy.tables if rolling.get(t)]
    live = [m for m in manifests if m.status == LIVE]
    superseded = {s for m in live for s in m.sources}
    actions += [Cleanup(policy.signal, m.table, m.id) for m in sorted(live, key=_age) if m.id in superseded]
    active = [m for m in live if m.id not in superseded]
    actions += _rolls(policy, now, hot)
    actions += _service_rolls(policy, now, service_hot or {})
    actions += _compactions(policy, now, active)
    actions += _expiries(policy, now, active)
    return actions


def _age(m: Manifest) -> tuple:
    return (m.period_start, RANK[m.kind], m.table, m.part)


def _rolls(policy: Policy, now: datetime, hot: dict[str, list[date]]) -> list[Roll]:
    cutoff = hot_cutoff(now, policy.timezone, policy.hot_days)
    partitions: dict[Period, dict[str, set[date]]] = defaultdict(lambda: defaultdict(set))
    for table, _ in policy.tables:
        for utc_day in hot.get(table, []):
            for day in local_days_of(utc_day, policy.timezone):
                period = period_of(day, policy.period)
                if period.end <= cutoff:
                    partitions[period][table].add(utc_day)
    return [
        Roll(policy.signal, period, {t: tuple(sorted(days)) for t, days in partitions[period].items()})
        for period in sorted(partitions)
    ]


def _service_rolls(policy: Policy, now: datetime, service_hot: dict[str, dict[str, list[date]]]) -> list[ServiceRoll]:
    """Periods closed for a service kept hot shorter, still open for the signal (its Roll takes them later)."""
    signal_cutoff = hot_cutoff(now, policy.timezone, policy.hot_days)
    out: list[ServiceRoll] = []
    for sp in policy.services:
        cutoff = hot_cutoff(now, policy.timezone, sp.hot_days)
        tables: dict[Period, set[str]] = defaultdict(set)
        for table, days in service_hot.get(sp.service, {}).items():
            for day in days:
                period = period_of(day, policy.period)
                if period.end <= cutoff and not period.end <= signal_cutoff:
                    tables[period].add(table)
        out += [ServiceRoll(policy.signal, sp.service, p, tuple(sorted(tables[p]))) for p in sorted(tables)]
    return sorted(out, key=lambda a: (a.period, a.service))


def _compactions(policy: Policy, now: datetime, active: list[Manifest]) -> list[Compact]:
    cutoff = hot_cutoff(now, policy.timezone, policy.hot_days)
    today = local_today(now, policy.timezone)
    out: list[Compact] = []
    for kind, after in (("weekly", policy.weekly_after_days), ("monthly", policy.monthly_after_days)):
        if not after or RANK[kind] <= RANK[policy.period]:
            continue
        groups: dict[tuple[str, Period], list[Manifest]] = defaultdict(list)
        for m in active:
            if RANK[m.kind] < RANK[kind]:
                groups[(m.table, period_of(m.period_start, kind))].append(m)
        for (table, target), members in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
            if target.end <= cutoff and target.end + timedelta(days=after) <= today:
                ids = tuple(m.id for m in sorted(members, key=_age))
                out.append(Compact(policy.signal, table, target, ids))
    return out


def _expiries(policy: Policy, now: datetime, active: list[Manifest]) -> list[Expire]:
    if not policy.archive_days:
        return []
    today = local_today(now, policy.timezone)
    return [
        Expire(policy.signal, m.table, m.id)
        for m in sorted(active, key=_age)
        if m.period_end + timedelta(days=policy.archive_days) <= today
    ]
