"""One supervisord for one `local` run: started with the run's configuration file, asked to
start and stop each program when the run needs it, watched for processes that exit on their
own, and shut down with the run however the run ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from rich.console import Console

from orchestrator.errors import OrchestratorError
from orchestrator.local.control import Control, Info, describe
from orchestrator.local.programs import Program, render

START_SECONDS = 20.0
SHUTDOWN_SECONDS = 90.0
POLL_SECONDS = 0.2
ACTIVE = frozenset({"STARTING", "RUNNING", "BACKOFF", "STOPPING"})
ON_THEIR_OWN = frozenset({"EXITED", "FATAL"})


def refuse_a_second(state_dir: Path) -> None:
    control = Control(state_dir)
    if control.answers():
        raise OrchestratorError(
            f"`local` is already running from this checkout (its socket is {control.socket}): "
            "see it with `./orchestrator.sh local status`"
        )


def _supervisord() -> str:
    beside = Path(sys.executable).parent / "supervisord"
    found = str(beside) if beside.is_file() else shutil.which("supervisord")
    if found is None:
        raise OrchestratorError(
            "supervisord is missing: `pip install 'supervisor>=4.2,<5'` (the orchestrator "
            "extra installs it; ./orchestrator.sh does)"
        )
    return found


class Supervised:
    def __init__(self, state_dir: Path, programs: Sequence[Program], console: Console) -> None:
        self.state_dir, self.programs, self.console = state_dir, programs, console
        self.control = Control(state_dir)
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Supervised:
        # supervisord refuses a configuration whose log folders do not exist yet.
        for folder in {self.state_dir / "logs", *(p.log.parent for p in self.programs)}:
            folder.mkdir(parents=True, exist_ok=True)
        conf, said = self.state_dir / "supervisord.conf", self.state_dir / "supervisord.out"
        conf.write_text(render(self.programs, socket=self.control.socket, state_dir=self.state_dir))
        conf.chmod(0o600)  # it holds the services' passwords
        # A private RabbitMQ node is made of RABBITMQ_ and ERL_ variables alone; the services
        # get theirs from the configuration.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        with said.open("wb") as out:  # where it says why it does not start
            self._proc = subprocess.Popen(
                [_supervisord(), "-c", str(conf)], env=env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT,
                # Its own session: a terminal's Ctrl-C reaches `local` alone, which stops it.
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while not self.control.answers():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise OrchestratorError(f"supervisord did not start: {said} says why")
            time.sleep(0.05)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None and self.control.answers():
            self.control.shutdown()  # stops what still runs, the last started first
        try:
            self._proc.wait(timeout=SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def start(self, name: str) -> Info:
        return self.control.start(name)

    def stop(self, name: str) -> Info:
        return self.control.stop(name)

    def alive(self, name: str) -> bool:
        return self.control.info(name)["statename"] in ACTIVE

    def watch(self, stop: threading.Event, names: Sequence[str]) -> int:
        """Says in one line each start, stop and exit of `names` until `stop` (exit 0) or
        until every one of them has exited on its own (exit 1)."""
        seen = {name: self.control.info(name) for name in names}
        while not stop.wait(POLL_SECONDS):
            processes = self.control.processes()
            for name in names:
                seen[name] = self._report(seen[name], processes[name])
            if all(seen[name]["statename"] in ON_THEIR_OWN for name in names):
                logs = self.state_dir / "logs"
                self._say(f"every service has stopped on its own; their logs in {logs} say why")
                return 1
        return 0

    def _report(self, before: Info, now: Info) -> Info:
        name, state = now["name"], now["statename"]
        active = before["statename"] in ACTIVE
        # `start` changes with every start, also when a stop and a start, or a start and an
        # exit, came between two looks.
        if now["start"] != before["start"] or (not active and state in ACTIVE):
            self._say(f"{name} started on request (pid {now['pid']})", "yellow")
            active = True
        if active and state == "STOPPED":
            self._say(f"{name} stopped on request (exit code {now['exitstatus']})", "yellow")
        elif active and state in ON_THEIR_OWN:
            self._say(
                f"{name} {describe(now)} without being asked to; the others keep running; "
                f"`./orchestrator.sh local start {name}` starts it again",
                "red",
            )
        return now

    def _say(self, text: str, style: str | None = None) -> None:
        self.console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)
