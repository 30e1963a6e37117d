"""`get_app()` under another WSGI server's own command line, as docs/operations.md shows it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

from orchestrator.local.process import ROOT, free_port


def _waitress_serve() -> str:
    found = shutil.which("waitress-serve", path=str(Path(sys.executable).parent))
    assert found, "waitress-serve is missing from this venv (it comes with waitress)"
    return found


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0].decode()[-2000:]
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise TimeoutError(url)


def test_inventory_serves_movies_under_waitress_serve_through_get_app(inventory_db, tmp_path):
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    proc = subprocess.Popen(
        [_waitress_serve(), f"--listen=127.0.0.1:{port}", "--call",
         "services.inventory.app:get_app"],
        env={**clean, **inventory_db.env("INVENTORY_DB"), "PYTHONPATH": str(ROOT)},
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/readyz", proc)
        created = requests.post(f"{url}/api/movies", json={"title": "Ran"}, timeout=10)
        assert created.status_code == 200
        movie = requests.get(f"{url}/api/movies/{created.json()['id']}", timeout=10)
        assert movie.status_code == 200
        assert movie.json() == created.json()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
