"""glibc malloc tuning: applied at start-up unless the environment already sets it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOW = "from otelhouse.memory import tune_malloc; print(','.join(tune_malloc()))"


@pytest.mark.parametrize(
    ("preset", "applied"),
    [({}, "MALLOC_ARENA_MAX,MALLOC_MMAP_THRESHOLD_"), ({"MALLOC_ARENA_MAX": "4"}, "MALLOC_MMAP_THRESHOLD_")],
)
def test_malloc_settings_apply_unless_the_environment_sets_them(preset: dict[str, str], applied: str) -> None:
    """A fresh process each: glibc reads its own variables once, at start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | preset
    out = subprocess.run([sys.executable, "-c", SHOW], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == applied
