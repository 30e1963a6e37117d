"""What the private servers share: each is one or more supervisord programs of one `local`
run, started one after the other, each once the one before answers; stopped when the run ends
however it ends (a start that failed halfway included); and it says what it is doing."""

from __future__ import annotations

import functools
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
from orchestrator.local.programs import Program
from orchestrator.local.supervised import Supervised

# How often a slow start says that it is still waiting.
_PROGRESS_SECONDS = 10.0


@dataclass(frozen=True)
class Step:
    program: Program
    ready: Callable[[], bool]
    timeout: float


@dataclass
class PrivateServer(ABC):
    folder: Path  # all it keeps: data, configuration, log
    port: int
    label: ClassVar[str]  # "PostgreSQL", "RabbitMQ"
    # Below the services' (100 and up): started before them, stopped after them.
    priority: ClassVar[int]

    @property
    def log(self) -> Path:
        """Where it says why it did not start."""
        return self.folder / f"{self.label.lower()}.log"

    @abstractmethod
    def steps(self) -> list[Step]:
        """Its programs in start order, each with how to tell that it answers."""

    @abstractmethod
    def prepare(self, console: Console) -> None:
        """Makes its folder ready (its first run: its data too) and says that it starts."""

    @abstractmethod
    def ready_line(self) -> str: ...

    def programs(self) -> list[Program]:
        return [step.program for step in self.steps()]


@contextmanager
def running(server: PrivateServer, supervised: Supervised, console: Console) -> Iterator[None]:
    started: list[str] = []
    try:
        server.prepare(console)
        for step in server.steps():
            name = step.program.name
            started.append(name)
            try:
                supervised.start(name)
            except OrchestratorError:
                raise failed(server) from None
            alive = functools.partial(supervised.alive, name)
            wait_until(step.ready, alive, server, console, step.timeout)
        say(console, server.ready_line())
        yield
    finally:
        if any(supervised.alive(name) for name in started):
            say(console, f"stopping the private {server.label}")
            for name in reversed(started):
                supervised.stop(name)


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
