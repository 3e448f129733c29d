"""Real loggers for the collector's tests: Go programs built from Debian's packages, Node packages from npm.

Builds and installs are cached under tests/.cache (git-ignored) and redone when their sources change,
so a fresh clone gets them on its first run (`make test` installs the Debian packages they need).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE.parents[1] / ".cache"


def go_binary(name: str) -> Path:
    """Build tests/collector/loggers/go/NAME offline (GOPATH=/usr/share/gocode); return the binary."""
    source = HERE / "go" / name / "main.go"
    binary = CACHE / "go" / name
    if binary.exists() and binary.stat().st_mtime >= source.stat().st_mtime:
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": "/usr/share/gocode",
        "GOCACHE": str(CACHE / "gocache"),
        "GOFLAGS": "",
    }
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=source.parent, env=env, check=True, timeout=600)
    return binary


def run_go(name: str, *args: str) -> list[bytes]:
    """Run a Go logger program; return the lines it wrote."""
    out = subprocess.run([str(go_binary(name)), *args], capture_output=True, check=True, timeout=60).stdout
    return out.splitlines()


def node_modules() -> Path:
    """Install the Node loggers (package.json / package-lock.json beside this file) once; return the folder."""
    target = CACHE / "node"
    target.mkdir(parents=True, exist_ok=True)
    lock = HERE / "node" / "package-lock.json"
    installed = target / "package-lock.json"
    if not (target / "node_modules").is_dir() or not installed.exists() or not filecmp.cmp(lock, installed, False):
        shutil.copy(HERE / "node" / "package.json", target / "package.json")
        shutil.copy(lock, installed)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=target, check=True, timeout=600)
    return target


def run_node(script: str, *args: str, env: dict[str, str] | None = None) -> list[bytes]:
    """Run a script of tests/collector/loggers/node with the installed packages; return its stdout lines."""
    modules = node_modules()
    out = subprocess.run(
        ["node", str(HERE / "node" / script), *args],
        capture_output=True,
        check=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(modules / "node_modules"), **(env or {})},
    ).stdout
    return out.splitlines()
