"""What the private servers share: each belongs to one `local` run, is stopped when the run
ends however it ends (a start that failed halfway included), and says what it is doing."""

from __future__ import annotations

import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.console import Console

from orchestrator.errors import OrchestratorError

# How often a slow start says that it is still waiting.
_PROGRESS_SECONDS = 10.0


@dataclass
class PrivateServer(ABC):
    folder: Path  # all it keeps: data, configuration, log
    port: int
    label: ClassVar[str]  # "PostgreSQL", "RabbitMQ"

    @property
    def log(self) -> Path:
        """Where it says why it did not start."""
        return self.folder / f"{self.label.lower()}.log"

    @abstractmethod
    def start(self, console: Console) -> None: ...

    # Must also undo a start that failed halfway, and do nothing after no start at all.
    @abstractmethod
    def stop(self, console: Console) -> None: ...


@contextmanager
def running(server: PrivateServer, console: Console) -> Iterator[None]:
    try:
        server.start(console)
        yield
    finally:
        server.stop(console)


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether anything accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(
    ready: Callable[[], bool],
    alive: Callable[[], bool],
    server: PrivateServer,
    console: Console,
    timeout: float,
) -> None:
    """Polls `ready` until it holds; one line naming the log when the server dies or is late."""
    start = time.monotonic()
    said = 0
    while not ready():
        waited = time.monotonic() - start
        if not alive() or waited > timeout:
            raise failed(server)
        if waited - said >= _PROGRESS_SECONDS:
            said += int(_PROGRESS_SECONDS)
            say(console, f"still waiting for the private {server.label} ({said}s) ...")
        time.sleep(0.25)


def failed(server: PrivateServer) -> OrchestratorError:
    return OrchestratorError(
        f"the private {server.label} did not start: {shown(server.log)} says why"
    )


def shown(path: Path) -> str:
    """`path` relative to the current folder when it is below it: shorter, and what the user
    would type."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def say(console: Console, text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True, markup=False)
