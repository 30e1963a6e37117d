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
    found = shutil.which("vagrant")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "vagrant"], check=True, env=env)
        found = shutil.which("vagrant")
    if found is None:
        pytest.fail("vagrant is missing: apt-get install vagrant (Debian's package) as root")
    return found


def on_path(name: str) -> Path:
    """helm, kubectl or node from PATH: the nox sessions put the pinned ones there first."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not on PATH: run this test through nox, which installs it")
    return Path(found)
