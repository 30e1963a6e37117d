"""The `local` verbs: run the three services under supervisord, and stop/start/status them
from another terminal through its socket."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from types import FrameType
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from orchestrator.errors import OrchestratorError
from orchestrator.local import preflight
from orchestrator.local.config import SERVICES, LocalConfig, programs
from orchestrator.local.control import Control, describe
from orchestrator.local.net import probe
from orchestrator.local.servers import offer
from orchestrator.local.servers.lifecycle import running
from orchestrator.local.supervised import Supervised, refuse_a_second

READY_TIMEOUT = 60.0


def run(config: LocalConfig, console: Console, *, private: bool = False, ask: bool = False) -> int:
    """Checks everything first (one line per problem), then watches until Ctrl-C.

    Private servers (started when `private`, or offered when `ask`) belong to this run: they
    stop when it ends, also when it ends before the services have started."""
    stop, starting = threading.Event(), threading.Event()
    starting.set()
    previous = on_stop_signals(_stop_handler(stop, starting))
    try:
        refuse_a_second(config.state_dir)
        preflight.check_ports(config)
        servers = offer.wanted(config, always=private, ask=ask)
        every = [*(p for server in servers for p in server.programs()), *programs(config)]
        with Supervised(config.state_dir, every, console) as supervised, ExitStack() as up:
            try:
                try:
                    for server in servers:
                        up.enter_context(running(server, supervised, console))
                    _prepare(config, console)
                    for name in SERVICES:
                        supervised.start(name)
                finally:
                    starting.clear()
                return supervised.watch(stop, SERVICES)
            finally:
                stop_services(supervised, console)
    finally:
        restore_signals(previous)


def _prepare(config: LocalConfig, console: Console) -> None:
    preflight.check_broker(config)
    for name in preflight.ensure_databases(config, [config.inventory_db, config.billing_db]):
        console.print(f"created database {name}", highlight=False)
    console.print(config.summary(), highlight=False, soft_wrap=True)


def stop_services(
    supervised: Supervised, console: Console, names: Sequence[str] = SERVICES
) -> None:
    # The reverse of the start order: the gateway stops taking requests first.
    alive = [name for name in reversed(names) if supervised.alive(name)]
    if alive:
        console.print("stopping the services", highlight=False)
    for name in alive:
        supervised.stop(name)


def _stop_handler(stop: threading.Event, starting: threading.Event) -> Callable[..., None]:
    """Ctrl-C or SIGTERM: while starting, interrupts whatever waits (a private server's start
    included), so that what was started so far is stopped on the way out; later, ends the
    watch. Never does it interrupt the stopping itself."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if starting.is_set():
            starting.clear()
            raise KeyboardInterrupt

    return handle


def on_stop_signals(handler: Callable[[int, FrameType | None], None]) -> dict[int, Any]:
    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}


def restore_signals(previous: Mapping[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def stop(config: LocalConfig, service: str, console: Console) -> None:
    control = Control(config.state_dir)
    info = control.info(service)
    if info["statename"] not in ("RUNNING", "STARTING"):
        console.print(f"{service} is not running ({describe(info)})", highlight=False)
        return
    info = control.stop(service)
    console.print(f"{service} stopped (exit code {info['exitstatus']})", highlight=False)


def start(config: LocalConfig, service: str, console: Console) -> None:
    control = Control(config.state_dir)
    if control.info(service)["statename"] in ("RUNNING", "STARTING"):
        console.print(f"{service} is already running", highlight=False)
    else:
        pid = control.start(service)["pid"]
        console.print(f"{service} started (pid {pid})", highlight=False)
    url = config.url(service)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if probe(f"{url}/readyz")[0] == 200:
            console.print(f"{service} ready at {url}", highlight=False)
            return
        time.sleep(0.2)
    raise OrchestratorError(
        f"{service} did not become ready within {READY_TIMEOUT:.0f}s: "
        f"{config.log(service)} says why"
    )


def status(config: LocalConfig, console: Console) -> None:
    processes = Control(config.state_dir).processes()
    # Without side borders, so that a row fits in 80 columns when the output is not a terminal.
    table = Table("service", "state", "pid", "url", "metrics", "ready", box=box.SIMPLE)
    for name in SERVICES:
        info = processes[name]
        up = info["statename"] == "RUNNING"
        ready = up and probe(f"{config.url(name)}/readyz")[0] == 200
        table.add_row(
            name, describe(info), str(info["pid"]) if up else "-", config.url(name),
            f":{config.metrics_port(name)}", "yes" if ready else "no",
        )  # fmt: skip
    console.print(table)
