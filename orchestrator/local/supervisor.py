"""`local`: the three services as processes on this machine, their JSON log lines interleaved,
each one stopped and started on request (`local stop|start SERVICE` from another terminal)
while the others keep running."""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from rich.console import Console

from orchestrator.local.control import Request
from orchestrator.local.process import ServiceProcess

STOP_GRACE_SECONDS = 20.0
RUNNING, STOPPED = "running", "stopped on request"


@dataclass(frozen=True)
class Line:
    service: str
    process: subprocess.Popen[bytes]
    text: str | None  # None: the output ended, the process is exiting


class Supervisor:
    def __init__(self, procs: Sequence[ServiceProcess], console: Console) -> None:
        self._procs = {proc.name: proc for proc in procs}
        self._states = dict.fromkeys(self._procs, "not started")
        self._console = console
        self._lines: queue.Queue[Line] = queue.Queue()
        self._width = max(len(name) for name in self._procs)

    def run(self, stop: threading.Event, requests: queue.Queue[Request]) -> int:
        """Until `stop` (exit 0) or until every service has exited on its own (exit 1)."""
        try:
            for name in self._procs:
                self._start(name)
            while not stop.is_set():
                self._serve(requests)
                try:
                    line = self._lines.get(timeout=0.1)
                except queue.Empty:
                    continue
                self._relay(line)
                if all(state.startswith("exited") for state in self._states.values()):
                    self._say("every service has stopped on its own; see their lines above", "red")
                    return 1
            self._say("stopping the services")
            return 0
        finally:
            # The reverse of the start order: the gateway stops taking requests first.
            for proc in reversed(self._procs.values()):
                proc.stop(timeout=STOP_GRACE_SECONDS)

    def _start(self, name: str) -> subprocess.Popen[bytes]:
        child = self._procs[name].spawn()
        self._states[name] = RUNNING
        threading.Thread(target=self._pump, args=(name, child), daemon=True).start()
        return child

    def _pump(self, name: str, child: subprocess.Popen[bytes]) -> None:
        assert child.stdout is not None
        for raw in child.stdout:
            self._lines.put(Line(name, child, raw.decode(errors="replace").rstrip("\n")))
        self._lines.put(Line(name, child, None))

    def _relay(self, line: Line) -> None:
        proc = self._procs[line.service]
        if line.text is not None:
            # The JSON line itself is left intact after the prefix, for jq and friends.
            self._say(f"{line.service:<{self._width}} | {line.text}", markup=False)
        elif line.process is proc.proc and self._states[line.service] == RUNNING:
            code = proc.stop()
            self._states[line.service] = f"exited with code {code}"
            self._say(
                f"{line.service} exited with code {code} without being asked to; the others keep "
                f"running; `./orchestrator.sh local start {line.service}` starts it again",
                "red",
            )

    def _serve(self, requests: queue.Queue[Request]) -> None:
        while True:
            try:
                request = requests.get_nowait()
            except queue.Empty:
                return
            handler = self._handlers().get(request.verb)
            if handler is None:
                request.answer(ok=False, message=f"unknown request {request.verb!r}")
            elif request.verb in ("start", "stop") and request.service not in self._procs:
                known = ", ".join(self._procs)
                request.answer(ok=False, message=f"no service {request.service!r} (one of {known})")
            else:
                handler(request)

    def _handlers(self) -> dict[str, Callable[[Request], None]]:
        return {
            "ping": lambda request: request.answer(ok=True, message="running"),
            "status": self._status,
            "stop": self._stop_one,
            "start": self._start_one,
        }

    def _status(self, request: Request) -> None:
        rows = [
            {
                "service": name,
                "state": self._states[name],
                "pid": proc.proc.pid if proc.running and proc.proc else None,
                "url": proc.url,
            }
            for name, proc in self._procs.items()
        ]
        request.answer(ok=True, services=rows)

    def _stop_one(self, request: Request) -> None:
        name = str(request.service)
        proc = self._procs[name]
        if not proc.running:
            request.answer(ok=True, message=f"{name} is not running ({self._states[name]})")
            return
        self._states[name] = STOPPED
        code = proc.stop(timeout=STOP_GRACE_SECONDS)
        self._say(f"{name} stopped on request (exit code {code})", "yellow")
        request.answer(ok=True, message=f"{name} stopped (exit code {code})")

    def _start_one(self, request: Request) -> None:
        name = str(request.service)
        proc = self._procs[name]
        if proc.running:
            request.answer(ok=True, message=f"{name} is already running", url=proc.url)
            return
        child = self._start(name)
        self._say(f"{name} started on request (pid {child.pid})", "yellow")
        request.answer(ok=True, message=f"{name} started (pid {child.pid})", url=proc.url)

    def _say(self, text: str, style: str | None = None, *, markup: bool = True) -> None:
        self._console.print(text, style=style, markup=markup, highlight=False, soft_wrap=True)


def on_stop_signals(handler: Callable[[int, FrameType | None], None]) -> dict[int, Any]:
    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}


def restore_signals(previous: Mapping[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
