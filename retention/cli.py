"""Command-line retention work: `roll`, `archives list|verify`, `restore logs|drop`."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import date

from otelhouse.config import Settings
from retention.policy import SIGNALS, ArchiveRoot
from retention.progress import ProgressBar
from storage import Store

COMMANDS = ("roll", "archives", "restore")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add the retention commands to the `otelhouse` parser."""
    roll = sub.add_parser(
        "roll",
        help="roll every closed period that is due now (archive, verify, drop), then exit",
        description="Archive every closed period that the policy says is due, verify each archive by reading it "
        "back, and only then drop its rows from hot storage; compact and expire archives. Waits for nobody: "
        "if another roller holds the lock, exits with code 3.",
    )
    roll.add_argument("--signal", choices=SIGNALS, action="append", help="only this signal (repeatable)")
    roll.add_argument("--dry-run", action="store_true", help="show what would be archived and dropped, change nothing")
    archives = sub.add_parser("archives", help="list or verify archives", description="List or verify archives.")
    archives_sub = archives.add_subparsers(dest="archives_command", metavar="ACTION", required=True)
    listing = archives_sub.add_parser("list", help="signal, period, parts, rows, sizes and verification status")
    listing.add_argument("--json", action="store_true", help="print JSON")
    verify = archives_sub.add_parser(
        "verify",
        help="read archives back against their manifests (exit 1 if any is corrupt or missing)",
        description="Read archives back (content checksum and file checksum) against their manifests. "
        "Without --all: archives not checked in the last 7 days and those found bad before.",
    )
    verify.add_argument("--all", action="store_true", help="every archive")
    restore = sub.add_parser("restore", help="load archived logs for searching, or drop them again")
    restore_sub = restore.add_subparsers(dest="restore_command", metavar="WHAT", required=True)
    logs = restore_sub.add_parser(
        "logs",
        help="load archived log rows into otel_logs_restored (searched by the log explorer beside hot logs)",
    )
    logs.add_argument("--from", dest="first", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    logs.add_argument("--to", dest="last", type=date.fromisoformat, required=True, help="last day, YYYY-MM-DD")
    logs.add_argument("--service", default="", help="only this service.name")
    restore_sub.add_parser("drop", help="empty otel_logs_restored")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run a retention command on a freshly opened, migrated store; return the exit code."""
    store = Store.open(settings)
    try:
        store.migrate()
        if args.command == "roll":
            return _roll(args, settings, store)
        if args.command == "archives":
            return _list(args, store) if args.archives_command == "list" else _verify(args, settings, store)
        return _restore(args, settings, store)
    finally:
        store.close()


def _roll(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from retention.roller import Roller, RollerBusy, RollFailed

    signals = tuple(args.signal or SIGNALS)
    if args.dry_run:
        roller = Roller(settings, store)
        actions = roller.plan(signals)
        for action in actions:
            print(action.describe())
        print(f"{len(actions)} step(s) due now (later steps appear as these complete); nothing changed")
        return 0
    roller = Roller(settings, store, progress=ProgressBar("rolling"))
    try:
        report = roller.run_due(signals)
    except RollerBusy as exc:
        print(f"otelhouse: {exc}", file=sys.stderr)
        return 3
    except RollFailed as exc:
        print(f"otelhouse: some retention steps failed, nothing unverified was dropped: {exc}", file=sys.stderr)
        return 1
    for step in report.done:
        print(step)
    print(f"{len(report.done)} step(s) done, {report.rows_archived} rows archived, verified and dropped from hot")
    return 0


def _list(args: argparse.Namespace, store: Store) -> int:
    from retention.archiver import batch_service
    from storage.queries.manifests import current_manifests

    groups: dict[tuple, list] = defaultdict(list)
    for m in store.call(lambda c: current_manifests(c, store.database)):
        if m.status in ("verified", "corrupt", "missing"):
            groups[(m.signal, m.table, m.kind, m.period_start)].append(m)
    rows = [
        {
            "signal": key[0],
            "table": key[1],
            "period": key[2],
            "start": key[3].isoformat(),
            "parts": len(ms),
            "rows": sum(m.rows for m in ms),
            "bytes": sum(m.file_bytes for m in ms),
            "status": ",".join(sorted({m.status for m in ms})),
            # parts written by a service's own (shorter) policy before the period rolled as a whole
            "service_parts": sorted({batch_service(m.batch) for m in ms} - {""}),
            "checked_at": max(m.checked_at for m in ms).isoformat(timespec="seconds"),
        }
        for key, ms in sorted(groups.items())
    ]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'signal':8} {'table':36} {'period':8} {'start':10} {'parts':>5} {'rows':>12} {'bytes':>12}  status")
    for r in rows:
        print(
            f"{r['signal']:8} {r['table']:36} {r['period']:8} {r['start']:10} {r['parts']:>5} {r['rows']:>12} "
            f"{r['bytes']:>12}  {r['status']}"
        )
    return 0


def _verify(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from retention.archiver import Archiver
    from retention.roller import utc_now
    from retention.verify import verify_archives

    archiver = Archiver(store, ArchiveRoot.from_settings(settings.retention))
    problems = verify_archives(archiver, utc_now(), args.all, ProgressBar("verifying"))
    for m, problem in problems:
        print(f"{m.id}: {problem}")
    print("all archives checked are intact" if not problems else f"{len(problems)} archive(s) corrupt or missing")
    return 1 if problems else 0


def _restore(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from retention.restore import drop_restored, restore_logs

    if args.restore_command == "drop":
        held = drop_restored(store)
        print(f"dropped {held.rows} restored rows")
        return 0
    if args.last < args.first:
        print("otelhouse: --to must not be before --from", file=sys.stderr)
        return 2
    r = settings.retention
    report = restore_logs(
        store, ArchiveRoot.from_settings(r), r.timezone, args.first, args.last, args.service, ProgressBar("restoring")
    )
    print(f"restored from {report.archives} archive(s); otel_logs_restored now holds {report.rows_in_table} rows")
    return 0
