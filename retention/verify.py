"""`archives verify`: read archives back against their manifests and record what was found."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from retention.archiver import Archiver
from storage.queries.manifests import Manifest

CHECKED = ("verified", "corrupt", "missing")
# without --all, an archive is read again when its last check is older than this
RECHECK_AFTER = timedelta(days=7)


def to_verify(manifests: list[Manifest], now: datetime, everything: bool) -> list[Manifest]:
    """Choose the archives to read back: all present ones, or those not checked lately (and every bad one)."""
    present = [m for m in manifests if m.status in CHECKED]
    if everything:
        return present
    naive_now = now.replace(tzinfo=None)
    return [
        m for m in present if m.status != "verified" or m.checked_at.replace(tzinfo=None) < naive_now - RECHECK_AFTER
    ]


def verify_archives(
    archiver: Archiver,
    now: datetime,
    everything: bool,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[tuple[Manifest, str]]:
    """Read each chosen archive back; record it as verified, corrupt or missing; return the problems found."""
    progress = progress or (lambda done, total, what: None)
    chosen = to_verify(archiver.manifests(), now, everything)
    problems = []
    for n, m in enumerate(chosen):
        progress(n, len(chosen), m.id)
        problem = archiver.check(m)
        status = "" if not problem else "missing" if problem == "missing" else "corrupt"
        archiver.mark(m, status or "verified", problem)
        if problem:
            problems.append((m, problem))
    progress(len(chosen), len(chosen), "done")
    return problems
