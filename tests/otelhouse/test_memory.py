"""glibc malloc tuning: applied at start-up unless the environment already sets it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOW = "from otelhouse.memory import tune_malloc; print(tune_malloc())"


@pytest.mark.parametrize(("preset", "applied"), [({}, "True"), ({"MALLOC_ARENA_MAX": "4"}, "False")])
def test_arena_limit_applies_unless_the_environment_sets_it(preset: dict[str, str], applied: str) -> None:
    """A fresh process each: glibc reads its own variable once, at start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | preset
    out = subprocess.run([sys.executable, "-c", SHOW], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == applied
