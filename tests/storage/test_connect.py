"""Opening the embedded engine: chDB's allocator is tuned before it loads, unless the user tuned it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.connect import ENGINE_MALLOC_CONF

ROOT = Path(__file__).resolve().parents[2]
SHOW = """
import os, sys
from storage.connect import open_client
from storage.target import Target
client = open_client(Target(kind="chdb", database="default", path=sys.argv[1]))
client.query("SELECT 1")
print(os.environ["JE_MALLOC_CONF"])
"""


@pytest.mark.parametrize(("preset", "expected"), [(None, ENGINE_MALLOC_CONF), ("narenas:2", "narenas:2")])
def test_engine_allocator_settings_default_and_user_override(tmp_path: Path, preset: str | None, expected: str) -> None:
    """A fresh process each: jemalloc reads its settings once, when chDB loads."""
    env = {k: v for k, v in os.environ.items() if k != "JE_MALLOC_CONF"}
    if preset:
        env["JE_MALLOC_CONF"] = preset
    out = subprocess.run(
        [sys.executable, "-c", SHOW, str(tmp_path / "ch")], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected
