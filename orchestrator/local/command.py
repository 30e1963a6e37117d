"""The `local` verbs: run the three services, and stop/start/status from another terminal."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table

from orchestrator.errors import OrchestratorError
from orchestrator.local import preflight
from orchestrator.local.config import LocalConfig, services
from orchestrator.local.control import ControlListener, Request, ask, socket_path
from orchestrator.local.process import probe
from orchestrator.local.servers import offer
from orchestrator.local.supervisor import Supervisor, on_stop_signals, restore_signals

READY_TIMEOUT = 60.0


def run(config: LocalConfig, console: Console, *, private: bool = False, ask: bool = False) -> int:
    """Checks everything first (one line per problem), then supervises until Ctrl-C.

    Private servers (started when `private`, or offered when `ask`) belong to this run: they
    stop when it ends, also when it ends before the services have started."""
    requests: queue.Queue[Request] = queue.Queue()
    listener = ControlListener(socket_path(config.state_dir), requests)
    stop, starting = threading.Event(), threading.Event()
    starting.set()
    previous = on_stop_signals(_stop_handler(stop, starting))
    try:
        with ExitStack() as servers:
            try:
                _prepare(config, console, servers, private=private, ask=ask)
            finally:
                starting.clear()
            return Supervisor(services(config), console).run(stop, requests)
    finally:
        restore_signals(previous)
        listener.close()


def _prepare(
    config: LocalConfig, console: Console, servers: ExitStack, *, private: bool, ask: bool
) -> None:
    preflight.check_ports(config)
    offer.start_wanted(config, console, servers, always=private, ask=ask)
    preflight.check_broker(config)
    for name in preflight.ensure_databases(config, [config.inventory_db, config.billing_db]):
        console.print(f"created database {name}", highlight=False)
    console.print(config.summary(), highlight=False, soft_wrap=True)


def _stop_handler(stop: threading.Event, starting: threading.Event) -> Callable[..., None]:
    """Ctrl-C or SIGTERM: while starting, interrupts whatever waits (a private server's start
    included), so that the servers started so far are stopped on the way out; later, asks the
    supervisor to stop. Never does it interrupt the stopping itself."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if starting.is_set():
            starting.clear()
            raise KeyboardInterrupt

    return handle


def stop(config: LocalConfig, service: str, console: Console) -> None:
    console.print(_ask(config, "stop", service)["message"], highlight=False)


def start(config: LocalConfig, service: str, console: Console) -> None:
    answer = _ask(config, "start", service)
    console.print(answer["message"], highlight=False)
    url = f"{answer['url']}/readyz"
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if probe(url)[0] == 200:
            console.print(f"{service} ready at {answer['url']}", highlight=False)
            return
        time.sleep(0.2)
    raise OrchestratorError(
        f"{service} did not become ready within {READY_TIMEOUT:.0f}s: its lines in the "
        "terminal running `local` say why"
    )


def status(config: LocalConfig, console: Console) -> None:
    table = Table("service", "state", "pid", "url", "ready")
    for row in _ask(config, "status")["services"]:
        ready = probe(f"{row['url']}/readyz")[0] == 200 if row["pid"] else False
        table.add_row(
            row["service"],
            row["state"],
            str(row["pid"] or "-"),
            row["url"],
            "yes" if ready else "no",
        )
    console.print(table)


def _ask(config: LocalConfig, verb: str, service: str | None = None) -> dict[str, Any]:
    answer = ask(socket_path(config.state_dir), verb, service)
    assert answer is not None  # ask raises instead when nothing listens
    if not answer.get("ok"):
        raise OrchestratorError(str(answer.get("message")))
    return answer
