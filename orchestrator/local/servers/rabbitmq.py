"""A private RabbitMQ node: its database, configuration and Erlang cookie live in its folder and
it has an epmd of its own, all set through RabbitMQ's environment variables, so it shares
nothing with the machine's own node. epmd and the node are supervisord programs, stopped with
their whole process groups, so no process is left behind when `local` ends."""

from __future__ import annotations

import functools
import hashlib
import shlex
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kombu import Connection
from rich.console import Console

from orchestrator.errors import OrchestratorError
from orchestrator.local.net import free_port
from orchestrator.local.programs import Program
from orchestrator.local.servers.account import Account
from orchestrator.local.servers.lifecycle import PrivateServer, Step, say, shown

# Debian's /usr/sbin/rabbitmq-server is a wrapper that, under root, switches to the `rabbitmq`
# user through `su`, which drops the environment this node is made of: the script it wraps is
# run instead, as that user.
DEBIAN_SCRIPTS = Path("/usr/lib/rabbitmq/bin")
START_SECONDS = 90.0
STOP_SECONDS = 30
# The machine's /etc/rabbitmq/rabbitmq-env.conf names its own node; this one replaces it.
_ENV_CONF = "# Written by `orchestrator local`: the machine's own rabbitmq-env.conf is not read.\n"


def scripts_dir() -> Path | None:
    """The folder holding RabbitMQ's own rabbitmq-server script, or None when not installed."""
    on_path = shutil.which("rabbitmq-server")
    candidates = [DEBIAN_SCRIPTS] + ([Path(on_path).resolve().parent] if on_path else [])
    for folder in candidates:
        if (folder / "rabbitmq-server").is_file() and (folder / "rabbitmqctl").is_file():
            return folder
    return None


def installed() -> bool:
    return scripts_dir() is not None and shutil.which("epmd") is not None


def _installed() -> tuple[Path, str]:
    scripts, epmd = scripts_dir(), shutil.which("epmd")
    if scripts is None or epmd is None:
        raise OrchestratorError(
            "RabbitMQ is not installed (no rabbitmq-server, rabbitmqctl and epmd): "
            "`sudo apt-get install rabbitmq-server`"
        )
    return scripts, epmd


@dataclass
class PrivateRabbitMQ(PrivateServer):
    # Created on the node's first start, so that `local`'s own settings work unchanged.
    user: str
    password: str
    vhost: str
    label: ClassVar[str] = "RabbitMQ"
    priority: ClassVar[int] = 20
    epmd_port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)

    @property
    def node(self) -> str:
        # One per checkout (per folder): two checkouts' nodes never take each other's name.
        digest = hashlib.sha256(str(self.folder).encode()).hexdigest()[:8]
        return f"movies-{digest}@localhost"

    @property
    def mnesia(self) -> Path:
        return self.folder / "mnesia"

    def steps(self) -> list[Step]:
        scripts, epmd = _installed()
        user = Account.for_server("rabbitmq", self.label).user
        env = self._environment()

        def program(name: str, *argv: str, priority: int, log: Path) -> Program:
            return Program(
                name, argv, env, log, priority, directory=self.folder, user=user,
                stop_seconds=STOP_SECONDS,
            )  # fmt: skip

        # Had the node found no epmd, it would start one of its own that outlives it.
        epmd_program = program(
            "epmd", epmd, "-port", str(self.epmd_port),
            priority=self.priority, log=self.folder / "epmd.log",
        )  # fmt: skip
        node = program(
            "rabbitmq", str(scripts / "rabbitmq-server"), priority=self.priority + 1, log=self.log
        )
        return [
            Step(epmd_program, functools.partial(_epmd_answers, self.epmd_port), 10),
            Step(node, self._answers, START_SECONDS),
        ]

    def prepare(self, console: Console) -> None:
        scripts, _ = _installed()
        account = Account.for_server("rabbitmq", self.label)
        self._write_configuration()
        self._write_rabbitmqctl(scripts, self._environment())
        account.take(self.folder)
        say(console, f"starting private RabbitMQ (node {self.node}) ...")

    def ready_line(self) -> str:
        return f"private RabbitMQ ready on 127.0.0.1:{self.port}, data in {shown(self.mnesia)}"

    def _write_configuration(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "rabbitmq-env.conf").write_text(_ENV_CONF)
        (self.folder / "rabbitmq.conf").write_text(
            "# Written by `orchestrator local` on every start. The defaults apply only to the\n"
            "# node's first start, when its database is made.\n"
            f"default_vhost = {self.vhost}\n"
            f"default_user = {self.user}\n"
            f"default_pass = {self.password}\n"
        )
        (self.folder / "rabbitmq.conf").chmod(0o600)  # it holds a password
        (self.folder / "advanced.config").write_text("[].\n")
        (self.folder / "enabled_plugins").write_text("[].\n")  # no management plugin
        self.log.touch()

    def _write_rabbitmqctl(self, scripts: Path, env: dict[str, str]) -> None:
        """A `rabbitmqctl` in the folder for this node: the plain one would look for the
        machine's node, through the machine's epmd, with the machine's cookie."""
        names = ("HOME", "ERL_EPMD_PORT", "RABBITMQ_CONF_ENV_FILE")
        exports = "".join(f"export {name}={shlex.quote(env[name])}\n" for name in names)
        script = self.folder / "rabbitmqctl"
        script.write_text(
            "#!/bin/sh\n# Written by `orchestrator local` on every start of this node.\n"
            f'{exports}exec {shlex.quote(str(scripts / "rabbitmqctl"))} -n {self.node} "$@"\n'
        )
        script.chmod(0o755)

    def _environment(self) -> dict[str, str]:
        folder = self.folder
        return {
            "HOME": str(folder),  # where Erlang keeps the node's cookie
            "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(folder / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.mnesia),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_LOGS": "-",  # on standard output, into the one log file named on failure
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.epmd_port),
        }

    def _answers(self) -> bool:
        """Whether the node takes AMQP connections as `local` will make them."""
        conn = Connection(
            hostname="127.0.0.1", port=self.port, userid=self.user, password=self.password,
            virtual_host=self.vhost, connect_timeout=2,
        )  # fmt: skip
        try:
            conn.ensure_connection(max_retries=0)
        except Exception:  # kombu wraps socket and AMQP errors in many types
            return False
        finally:
            conn.release()
        return True


def _epmd_answers(port: int) -> bool:
    """Whether epmd lists its nodes: a whole request, as a bare connection is logged as a
    broken one."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"\x00\x01n")  # NAMES_REQ: its length, then "n"
            return len(conn.recv(4)) == 4  # epmd's own port comes first
    except OSError:
        return False
