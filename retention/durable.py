"""Files written atomically (tmp, fsync, rename, fsync folder) and read tolerantly."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from otelhouse.durable import fsync_path, write_atomic

log = logging.getLogger(__name__)


def publish(tmp: Path, final: Path) -> None:
    """Sync a finished temporary file and rename it over `final`, so `final` is whole or absent."""
    fsync_path(tmp)
    os.replace(tmp, final)
    fsync_path(final.parent)


def write_json(path: Path, data: dict) -> None:
    """Write `data` as JSON to `path` atomically."""
    write_atomic(path, json.dumps(data, default=str, indent=1, sort_keys=True).encode())


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
    fsync_path(path.parent)
