"""A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Show how much of a known total is done, with a short note."""

    def __init__(self, total: float, label: str, out: TextIO | None = None, width: int = 30) -> None:
        self.total = max(total, 1e-9)
        self.label = label
        self.out = out or sys.stderr
        self.width = width
        self.tty = self.out.isatty()
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.tenth = -1

    def render(self, done: float, note: str) -> str:
        """Return the bar's text for `done` of the total."""
        share = min(max(done / self.total, 0.0), 1.0)
        filled = int(share * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        return f"{self.label} [{bar}] {share:4.0%} {note} ({time.monotonic() - self.started:.0f} s)"

    def update(self, done: float, note: str = "") -> None:
        """Redraw (at most five times a second on a terminal, once per tenth elsewhere)."""
        if self.tty:
            if time.monotonic() - self.drawn_at >= 0.2:
                self.drawn_at = time.monotonic()
                self.out.write("\r" + self.render(done, note))
                self.out.flush()
            return
        tenth = int(min(done / self.total, 1.0) * 10)
        if tenth > self.tenth:
            self.tenth = tenth
            print(self.render(done, note), file=self.out, flush=True)

    def finish(self, note: str = "") -> None:
        """Draw the full bar and end the line."""
        text = self.render(self.total, note)
        print(("\r" + text) if self.tty else text, file=self.out, flush=True)
