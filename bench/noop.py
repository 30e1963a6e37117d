"""`python -m bench.noop PORT [THREADS]`: the ceiling of the server stack on this machine.

One Falcon route that does nothing, on waitress built exactly as the services build it
(services.common.server, THREADS threads, 16 unless given), with no middleware, logging or
metrics: every read figure of the bench is reported as a fraction of what it serves in the same
run, at the thread count that served most in the run's sweep."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import falcon
import requests

from services.common.server import (
    ServerSettings,
    build_server,
    serve_until_stopped,
    stop_on_signals,
)
from tests.harness.process import ROOT

THREADS = 16
PATH = "/noop"
QUEUE_LOG_SECONDS = 10.0


class Noop:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.data = b"{}"


def main() -> None:
    app = falcon.App()
    app.add_route(PATH, Noop())
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else THREADS
    settings = ServerSettings(
        "127.0.0.1", int(sys.argv[1]), threads=threads, queue_log_seconds=QUEUE_LOG_SECONDS
    )
    stop = threading.Event()
    stop_on_signals(stop)
    serve_until_stopped(build_server(app, settings, name="noop"), stop, settings.drain_seconds)


@dataclass(frozen=True)
class NoopProcess:
    url: str
    pid: int


@contextmanager
def running(port: int, log_path: Path, threads: int = THREADS) -> Iterator[NoopProcess]:
    """This module as a process of its own, like the services, until the block ends."""
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.noop", str(port), str(threads)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url + PATH, proc)
        yield NoopProcess(url, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bench.noop exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


if __name__ == "__main__":
    main()
