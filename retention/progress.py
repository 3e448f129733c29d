"""A progress bar on stderr for long command-line work; plain lines when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class ProgressBar:
    """Draw `[#####.....] done/total what` in place on a terminal, or print each step on a pipe."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()

    def __call__(self, done: int, total: int, what: str) -> None:
        total = max(total, done, 1)
        filled = WIDTH * done // total
        bar = "#" * filled + "." * (WIDTH - filled)
        elapsed = time.monotonic() - self.started
        line = f"{self.label} [{bar}] {done}/{total} {elapsed:5.1f}s {what}"
        if self.tty:
            self.stream.write("\r\033[K" + line[:200] + ("\n" if what == "done" else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
