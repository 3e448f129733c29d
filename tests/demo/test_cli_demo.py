"""The demo's command line: help, and a bad --backfill value named in one line."""

from __future__ import annotations

from tests.otelhouse.test_cli import run


def test_help_names_the_demo_and_its_switches() -> None:
    assert "demo" in run(["--help"], {}).stdout
    assert "--no-demo" in run(["serve", "--help"], {}).stdout
    demo = run(["demo", "--help"], {}).stdout
    assert "--backfill" in demo and "deployment.environment=demo" in demo


def test_bad_backfill_duration_exits_2_naming_it() -> None:
    result = run(["demo", "--backfill", "a week"], {})
    assert result.returncode == 2
    assert "--backfill" in result.stderr and "'a week'" in result.stderr and "Traceback" not in result.stderr
