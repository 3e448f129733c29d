"""Helpers for browser tests: Debian's Chromium through Playwright, axe-core from npm, screenshots kept."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("OTELHOUSE_TEST_ARTIFACTS", ROOT / ".artifacts")) / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not shutil.which("chromium"), reason="Debian's chromium is installed by `make test`"
)


def axe_script() -> Path:
    """Return axe-core's script, installing the npm package into an ignored cache folder once."""
    if not AXE.exists():
        subprocess.run(
            ["npm", "install", "--prefix", str(AXE.parents[2]), "--no-audit", "--no-fund", "axe-core@4"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return AXE


class Browser:
    """One Chromium page that records console errors and checks accessibility on request."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot as a test artifact."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def serious_violations(self) -> list[str]:
        """Run axe-core on the page; return its serious and critical violations."""
        # served from the page's own origin: the dashboard's CSP allows no inline script, as a test should see
        script = axe_script()
        self.page.route("**/__axe.min.js", lambda route: route.fulfill(path=str(script)))
        self.page.add_script_tag(url="/__axe.min.js")
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]


@contextmanager
def chromium(width: int = 1440, height: int = 900) -> Iterator[Browser]:
    """Open Debian's Chromium headless with a laptop-sized page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(20_000)
            yield Browser(page)
        finally:
            browser.close()
