"""A private RabbitMQ node: its database, configuration and Erlang cookie live in its folder and
it has an epmd of its own, all set through RabbitMQ's environment variables, so it shares
nothing with the machine's own node and leaves no process behind when `local` ends."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kombu import Connection
from rich.console import Console

from orchestrator.errors import OrchestratorError
from orchestrator.local.process import free_port
from orchestrator.local.servers.account import Account
from orchestrator.local.servers.lifecycle import PrivateServer, say, shown, wait_until

# Debian's /usr/sbin/rabbitmq-server is a wrapper that, under root, switches to the `rabbitmq`
# user through `su`, which drops the environment this node is made of: the script it wraps is
# run instead, as that user.
DEBIAN_SCRIPTS = Path("/usr/lib/rabbitmq/bin")
START_SECONDS = 90.0
STOP_SECONDS = 30.0
# A node told to stop while it boots finishes booting first, which can take half a minute;
# it holds nothing yet, so it is not waited for that long.
STOP_BOOTING_SECONDS = 5.0
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


@dataclass
class PrivateRabbitMQ(PrivateServer):
    # Created on the node's first start, so that `local`'s own settings work unchanged.
    user: str
    password: str
    vhost: str
    label: ClassVar[str] = "RabbitMQ"
    _epmd: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _node: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _ready: bool = field(default=False, init=False, repr=False)

    @property
    def node(self) -> str:
        # One per checkout (per folder): two checkouts' nodes never take each other's name.
        digest = hashlib.sha256(str(self.folder).encode()).hexdigest()[:8]
        return f"movies-{digest}@localhost"

    @property
    def mnesia(self) -> Path:
        return self.folder / "mnesia"

    def start(self, console: Console) -> None:
        scripts, epmd = scripts_dir(), shutil.which("epmd")
        if scripts is None or epmd is None:
            raise OrchestratorError(
                "RabbitMQ is not installed (no rabbitmq-server, rabbitmqctl and epmd): "
                "`sudo apt-get install rabbitmq-server`"
            )
        account = Account.for_server("rabbitmq", self.label)
        epmd_port = free_port()
        env = self._environment(epmd_port=epmd_port, dist_port=free_port())
        self._write_configuration()
        self._write_rabbitmqctl(scripts, env)
        account.take(self.folder)
        say(console, f"starting private RabbitMQ (node {self.node}) ...")
        self._epmd = self._spawn(account, env, epmd, "-port", str(epmd_port))
        # Had the node found no epmd, it would start one of its own that outlives it.
        epmd_ready = functools.partial(_epmd_answers, epmd_port)
        wait_until(epmd_ready, lambda: _alive(self._epmd), self, console, timeout=10)
        self._node = self._spawn(account, env, str(scripts / "rabbitmq-server"))
        wait_until(self._answers, lambda: _alive(self._node), self, console, START_SECONDS)
        self._ready = True
        say(
            console,
            f"private RabbitMQ ready on 127.0.0.1:{self.port}, data in {shown(self.mnesia)}",
        )

    def stop(self, console: Console) -> None:
        if self._node is not None:
            say(console, "stopping the private RabbitMQ")
            _end(self._node, STOP_SECONDS if self._ready else STOP_BOOTING_SECONDS)
            self._node, self._ready = None, False
        if self._epmd is not None:
            _end(self._epmd, 5)
            self._epmd = None

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

    def _environment(self, *, epmd_port: int, dist_port: int) -> dict[str, str]:
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("RABBITMQ_", "ERL_"))
        }
        folder = self.folder
        return {
            **inherited,
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
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(epmd_port),
        }

    def _spawn(self, account: Account, env: dict[str, str], *argv: str) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            return subprocess.Popen(
                argv, env=env, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: Ctrl-C reaches `local` alone, and a node that does
                # not stop in time is killed with all its processes.
                start_new_session=True, **account.popen(),
            )  # fmt: skip

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


def _alive(proc: subprocess.Popen[bytes] | None) -> bool:
    return proc is not None and proc.poll() is None


def _end(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM to its whole process group, which the node takes as a clean shutdown (the VM
    too, should the script not have started it yet when the signal comes); SIGKILL when that
    takes longer than `timeout`."""
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    # Its own session (start_new_session), so its group id is its pid.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)
