"""Files written atomically (tmp, fsync, rename, fsync folder) and read tolerantly."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def fsync_folder(folder: Path) -> None:
    """Make a rename or delete in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a file that another writer (ClickHouse) wrote to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, final: Path) -> None:
    """Sync a finished temporary file and rename it over `final`, so `final` is whole or absent."""
    fsync_file(tmp)
    os.replace(tmp, final)
    fsync_folder(final.parent)


def write_json(path: Path, data: dict) -> None:
    """Write `data` as JSON to `path` atomically."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as fh:
        json.dump(data, fh, default=str, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_folder(path.parent)


def read_json(path: Path) -> dict | None:
    """Read a JSON file; None (with a log line) when it is missing, empty or torn."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("unreadable state file ignored", extra={"path": str(path), "error": str(exc)})
        return None
    return data if isinstance(data, dict) else None


def remove(path: Path) -> None:
    """Delete a file if present, durably."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_folder(path.parent)
