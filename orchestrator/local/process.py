"""One service as a real process (`python -m services.<name>`): on a free port for the tests,
bench and faults, on its declared port for `orchestrator local`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe(url: str, timeout: float = 1.0) -> tuple[int | None, str]:
    """GET url: its status and the start of its body, or None and why nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - our http://
            return answer.status, answer.read(200).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(200).decode(errors="replace")
    except (OSError, ValueError) as error:
        return None, str(error)


@dataclass
class ServiceProcess:
    """`log_path` None leaves the output on a pipe (`proc.stdout`) for the caller to read."""

    name: str
    env: dict[str, str]
    log_path: Path | None
    port: int = field(default_factory=free_port)
    # /metrics is served on a port of its own (METRICS_PORT), never on `port`.
    metrics_port: int = field(default_factory=free_port)
    command: tuple[str, ...] | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def start(self, *, wait_for: str = "/healthz", timeout: float = 20) -> ServiceProcess:
        self.spawn()
        self.wait_until(wait_for, timeout=timeout)
        return self

    def spawn(self) -> subprocess.Popen[bytes]:
        """Starts the process without waiting for it to answer."""
        env = {
            **os.environ,
            **self.env,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "METRICS_PORT": str(self.metrics_port),
        }
        env["PYTHONPATH"] = str(ROOT)
        argv = self.command or (sys.executable, "-m", f"services.{self.name}")
        if self.log_path is None:
            # Its own session: a terminal's Ctrl-C reaches only the supervisor, which stops
            # the services with SIGTERM, the signal they handle cleanly.
            self.proc = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            return self.proc
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        return self.proc

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_until(self, path: str, *, timeout: float = 20, status: int = 200) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            code, last = probe(self.url + path)
            if code == status:
                return
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} {path} not {status} after {timeout}s: {last}")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait (SIGKILL after `timeout`): returns the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text()
        kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        return kib / 1024

    def tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def logs(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")
