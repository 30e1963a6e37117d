"""The supervisord configuration file of one `local` run: each process `local` runs is a
[program:...] section, started only when `local` asks for it (so that each waits for what it
needs), its output written by supervisord to a log file of its own."""

from __future__ import annotations

import configparser
import io
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import OrchestratorError

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Program:
    name: str
    command: Sequence[str]
    env: Mapping[str, str]
    log: Path
    # Lower numbers start first and stop last: the servers before the services.
    priority: int
    directory: Path = ROOT
    user: str | None = None  # only when `local` runs as root
    stop_signal: str = "TERM"
    stop_seconds: int = 20


def render(programs: Sequence[Program], *, socket: Path, state_dir: Path) -> str:
    config = configparser.ConfigParser(interpolation=None)
    config["unix_http_server"] = {"file": str(socket), "chmod": "0700"}
    config["supervisord"] = {
        "nodaemon": "true",
        "silent": "true",  # its own log goes to its logfile only
        "logfile": str(state_dir / "supervisord.log"),
        "pidfile": str(state_dir / "supervisord.pid"),
        "childlogdir": str(state_dir / "logs"),
    }
    config["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"
    }
    config["supervisorctl"] = {"serverurl": f"unix://{socket}"}
    for program in programs:
        config[f"program:{program.name}"] = _section(program)
    text = io.StringIO()
    config.write(text)
    # supervisord expands %(name)s in its values: a literal % is written twice.
    return "".join(_escaped(line) for line in text.getvalue().splitlines(keepends=True))


def _section(program: Program) -> dict[str, str]:
    section = {
        "command": shlex.join(_line(word) for word in program.command),
        "directory": str(program.directory),
        "environment": ",".join(f'{name}="{_value(value)}"' for name, value in program.env.items()),
        "priority": str(program.priority),
        # A process that exits is reported, not restarted: the user decides.
        "autostart": "false",
        "autorestart": "false",
        "startsecs": "0",
        "startretries": "0",
        "stopsignal": program.stop_signal,
        "stopwaitsecs": str(program.stop_seconds),
        # The whole process group, as a server's helpers are its children.
        "stopasgroup": "true",
        "killasgroup": "true",
        "redirect_stderr": "true",
        "stdout_logfile": str(program.log),
    }
    if program.user is not None:
        section["user"] = program.user
    return section


def _value(value: str) -> str:
    # supervisord splits `environment` with shlex in non-POSIX mode: no escapes exist there.
    if '"' in value:
        raise OrchestratorError(f"{value!r}: a setting of `local` cannot hold a double quote")
    return _line(value)


def _line(value: str) -> str:
    if "\n" in value:
        raise OrchestratorError(f"{value!r}: a setting of `local` cannot hold a newline")
    return value


def _escaped(line: str) -> str:
    if line.startswith("[") or "=" not in line:
        return line
    key, value = line.split("=", 1)
    return f"{key}={value.replace('%', '%%')}"
