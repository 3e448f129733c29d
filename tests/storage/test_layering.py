"""The rooms' import rule: data flows collector -> storage, so storage never imports collector."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its code (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_storage_does_not_import_collector():
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] == "collector")
        for path in (ROOT / "storage").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_receivers_do_not_import_the_clickhouse_driver():
    rooms = ("otlp", "jsonlines", "loki", "prometheus", "jaeger", "wal")
    files = [p for room in rooms for p in (ROOT / "collector" / room).rglob("*.py")]
    files += [p for p in (ROOT / "collector").glob("*.py") if p.name != "app.py"]
    offenders = {
        str(p.relative_to(ROOT)) for p in files if any(m.startswith("clickhouse") for m in imported_modules(p))
    }
    assert offenders == set()
