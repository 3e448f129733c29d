"""One signal's checkpoint on disk.

The checkpoint says how far everything is durably stored (`done`: records before it may be deleted)
and which batches were handed to storage since (`batches`: range and deduplication token, in log
order, contiguous from `done`). A restart replays exactly those batches, under the same tokens while
the machine has not rebooted (`boot_id`), and under fresh tokens after a reboot: a power loss can
drop both the engine's unsynced rows and its own deduplication log entries, so a reused token could
make the engine skip rows it no longer has.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from otelhouse.durable import write_atomic

log = logging.getLogger(__name__)
Position = tuple[int, int]  # (segment number, byte offset)
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class Batch:
    """A batch handed to storage: its record range and its deduplication token."""

    start: Position
    end: Position
    token: str


@dataclass(frozen=True)
class State:
    done: Position
    batches: tuple[Batch, ...] = ()
    boot_id: str = ""


def boot_id() -> str:
    """Return the kernel's id of this boot ('' where the system has none)."""
    try:
        return BOOT_ID_FILE.read_text().strip()
    except OSError:
        return ""


def _position(value: object) -> Position:
    seg, off = value  # type: ignore[misc]
    return int(seg), int(off)


def _batch(doc: dict) -> Batch:
    return Batch(_position(doc["start"]), _position(doc["end"]), str(doc["token"]))


def load_state(path: Path, first_segment: int) -> State:
    """Read a checkpoint; a missing, empty or torn one means "replay all that is left" (logged)."""
    fresh = State(done=(first_segment, 0))
    if not path.exists():
        return fresh
    try:
        doc = json.loads(path.read_bytes())
        # `inflight` is the one-batch form written before version 2 of this file
        listed = doc.get("batches") or ([doc["inflight"]] if doc.get("inflight") else [])
        return State(_position(doc["done"]), tuple(_batch(b) for b in listed), str(doc.get("boot_id", "")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error(
            "write-ahead log: unreadable checkpoint; replaying every segment left (at least once)",
            extra={"file": str(path), "error": str(exc)},
        )
        return fresh


def save_state(path: Path, state: State) -> None:
    """Write a checkpoint atomically and durably."""
    doc = {
        "version": 2,
        "done": state.done,
        "batches": [{"start": b.start, "end": b.end, "token": b.token} for b in state.batches],
        "boot_id": state.boot_id,
    }
    write_atomic(path, json.dumps(doc).encode())
