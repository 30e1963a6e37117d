"""`get_app()` under another WSGI server's own command line, as docs/operations.md shows it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.tools import REPO


def _waitress_serve() -> str:
    found = shutil.which("waitress-serve", path=str(Path(sys.executable).parent))
    assert found, "waitress-serve is missing from this venv (it comes with waitress)"
    return found


def _serving_on(proc: subprocess.Popen[str]) -> str:
    """The address waitress-serve names once it listens (it was given port 0)."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if found := re.search(r"Serving on (http://\S+)", line):
            return found.group(1)
    raise AssertionError(f"waitress-serve ended with {proc.wait()} before serving")


def _wait_until_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if requests.get(url, timeout=5).status_code == 200:
            return
        time.sleep(0.1)
    raise TimeoutError(url)


def test_inventory_serves_movies_under_waitress_serve_through_get_app(inventory_db, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    proc = subprocess.Popen(
        [_waitress_serve(), "--listen=127.0.0.1:0", "--call", "services.inventory.app:get_app"],
        env={**clean, **inventory_db.env("INVENTORY_DB"), "PYTHONPATH": str(REPO)},
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = _serving_on(proc)
        _wait_until_ready(url + "/readyz")
        created = requests.post(f"{url}/api/movies", json={"title": "Ran"}, timeout=10)
        assert created.status_code == 200
        movie = requests.get(f"{url}/api/movies/{created.json()['id']}", timeout=10)
        assert movie.status_code == 200
        assert movie.json() == created.json()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
