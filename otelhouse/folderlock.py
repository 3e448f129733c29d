"""An exclusive lock on a folder held by one process, naming the holder's pid when refused."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_NAME = ".otelhouse.lock"


class FolderBusy(Exception):
    """Another process holds the folder; `holder` is its pid as it wrote it."""

    def __init__(self, folder: str, holder: str) -> None:
        super().__init__(f"{folder} is in use by pid {holder}")
        self.folder = folder
        self.holder = holder


class FolderLock:
    """flock(2) on FOLDER/.otelhouse.lock, released on close or process exit (even SIGKILL)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = str(folder)
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        fh = open(Path(self.folder) / LOCK_NAME, "a+")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise FolderBusy(self.folder, holder) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
