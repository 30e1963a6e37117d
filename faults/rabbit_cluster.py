"""A three-node RabbitMQ cluster of Debian's rabbitmq-server on this machine, for one scenario.

Each node has its own name, ports, data and log folders; the nodes share one Erlang cookie
and one epmd on a port of their own, so nothing here touches the machine's own node (5672,
25672, epmd 4369). Everything lives in one folder that destroy() removes, however far the
start got.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.local.net import free_port
from orchestrator.local.servers.account import Account
from orchestrator.local.servers.rabbitmq import scripts_dir

BOOT_SECONDS = 120.0  # a node's boot on a busy two-core machine, with room to spare
CTL_SECONDS = 90.0
STOP_SECONDS = 30.0


class ClusterError(RuntimeError):
    """The cluster could not be made; the message names the node and its log."""


@dataclass
class Node:
    name: str  # movies-f1-<rand>-<n>@localhost
    folder: Path
    amqp_port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / "node.log"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class RabbitCluster:
    folder: Path
    nodes: list[Node]
    account: Account
    scripts: Path
    epmd_port: int = field(default_factory=free_port)
    _epmd: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, *, size: int = 3) -> RabbitCluster:
        """In a new folder of the temporary directory: under root the nodes run as the
        `rabbitmq` user, who cannot enter a scenario's private work folder."""
        scripts = scripts_dir()
        if scripts is None or shutil.which("epmd") is None:
            raise ClusterError(
                "RabbitMQ is not installed (no rabbitmq-server, rabbitmqctl and epmd): "
                "`sudo apt-get install rabbitmq-server`"
            )
        tag = secrets.token_hex(3)
        folder = Path(tempfile.mkdtemp(prefix=f"movies-rabbit-{tag}-"))
        folder.chmod(0o755)
        nodes = [
            Node(f"movies-f{n}-{tag}@localhost", folder / f"node{n}") for n in range(1, size + 1)
        ]
        return cls(folder, nodes, Account.for_server("rabbitmq", "RabbitMQ"), scripts)

    def start(self) -> RabbitCluster:
        """All nodes booted, then joined to the first; destroys everything on failure."""
        try:
            self._prepare()
            self._epmd = self._spawn(self.folder / "epmd.log", "epmd", "-port", str(self.epmd_port))
            _wait(lambda: _answers(self.epmd_port), self._epmd, "epmd", self.folder, 10)
            for node in self.nodes:  # boot together: the boots are most of the time
                self.boot(node, wait=False)
            for node in self.nodes:
                self.wait_ready(node)
            first = self.nodes[0]
            for node in self.nodes[1:]:
                self.ctl(node, "stop_app")
                self.ctl(node, "join_cluster", first.name)
                self.ctl(node, "start_app")
            self.wait_members(len(self.nodes), asking=first)
        except BaseException:
            self.destroy()
            raise
        return self

    def boot(self, node: Node, *, wait: bool = True) -> None:
        node.proc = self._spawn(node.log, str(self.scripts / "rabbitmq-server"), node=node)
        if wait:
            self.wait_ready(node)

    def wait_ready(self, node: Node) -> None:
        _wait(lambda: self._takes_amqp(node), node.proc, node.name, node.log, BOOT_SECONDS)

    def kill(self, node: Node) -> None:
        """kill -9 of the node's whole process group (the Erlang VM and its helpers)."""
        if node.proc is not None:
            _signal_group(node.proc, signal.SIGKILL)
            node.proc.wait(timeout=10)
            node.proc = None

    def stop(self, node: Node) -> None:
        """A clean stop, as a rolling restart does it: SIGTERM, which the node takes as
        `rabbitmqctl stop`; SIGKILL only if it takes longer than STOP_SECONDS."""
        if node.proc is None:
            return
        _signal_group(node.proc, signal.SIGTERM)
        try:
            node.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill(node)
        node.proc = None

    def ctl(self, node: Node, *args: str, timeout: float = CTL_SECONDS) -> str:
        done = subprocess.run(
            [str(self.scripts / "rabbitmqctl"), "-q", "-n", node.name, *args],
            env=self._environment(node),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterError(
                f"rabbitmqctl -n {node.name} {' '.join(args)} failed: "
                f"{(done.stderr or done.stdout).strip()[:300]} (log: {node.log})"
            )
        return done.stdout

    def leader(self, queue: str) -> Node:
        """The node whose member of the quorum queue `queue` leads it now."""
        live = next(n for n in self.nodes if n.alive)
        for line in self.ctl(live, "list_queues", "name", "leader").splitlines():
            name, _, leader = line.partition("\t")
            if name == queue:
                return next(n for n in self.nodes if n.name == leader.strip())
        raise ClusterError(f"no queue {queue!r} on the cluster")

    def wait_members(self, count: int, *, asking: Node, timeout: float = 60.0) -> None:
        """Until `asking` sees `count` running nodes in its cluster (one rabbitmqctl per
        look: each starts an Erlang VM, which a busy machine feels)."""

        def joined() -> bool:
            status = json.loads(self.ctl(asking, "cluster_status", "--formatter", "json"))
            return len(status["running_nodes"]) >= count

        _wait(joined, None, f"the cluster, as {asking.name} sees it,", asking.log, timeout)

    def destroy(self) -> None:
        for node in self.nodes:
            with contextlib.suppress(Exception):
                self.kill(node)
        if self._epmd is not None:
            _signal_group(self._epmd, signal.SIGKILL)
            self._epmd.wait(timeout=10)
            self._epmd = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def _prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        cookie = self.folder / ".erlang.cookie"  # HOME of every node and of rabbitmqctl
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        (self.folder / "rabbitmq-env.conf").write_text("# the machine's own is not read\n")
        (self.folder / "enabled_plugins").write_text("[].\n")
        (self.folder / "advanced.config").write_text("[].\n")
        for node in self.nodes:
            node.folder.mkdir()
            (node.folder / "rabbitmq.conf").write_text(
                "loopback_users = none\n"  # guest through the relay, which is on 127.0.0.1
                "cluster_partition_handling = pause_minority\n"
            )
        self.account.take(self.folder)

    def _environment(self, node: Node) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        return {
            **inherited,
            "HOME": str(self.folder),
            "RABBITMQ_CONF_ENV_FILE": str(self.folder / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(node.folder / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.folder / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(node.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node.folder / "log"),
            "RABBITMQ_LOGS": "-",
            "RABBITMQ_NODENAME": node.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(node.amqp_port),
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.epmd_port),
        }

    def _spawn(self, log: Path, *argv: str, node: Node | None = None) -> subprocess.Popen[bytes]:
        env = self._environment(node or self.nodes[0])
        with log.open("ab") as out:
            return subprocess.Popen(
                argv, env=env, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, **self.account.popen(),
            )  # fmt: skip

    def _takes_amqp(self, node: Node) -> bool:
        """Whether the node greets an AMQP client (it does so once it has fully booted)."""
        try:
            with socket.create_connection(("127.0.0.1", node.amqp_port), timeout=2) as conn:
                conn.sendall(b"AMQP\x00\x00\x09\x01")
                return conn.recv(1) == b"\x01"  # a method frame: connection.start
        except OSError:
            return False


def _wait(
    ready: Callable[[], bool],
    proc: subprocess.Popen[bytes] | None,
    what: str,
    log: Path,
    timeout: float,
) -> None:
    """Polls `ready` until it holds; one line naming the log when `proc` dies or time is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except ClusterError:
            pass  # rabbitmqctl against a node still booting
        if proc is not None and proc.poll() is not None:
            raise ClusterError(f"{what} exited with {proc.returncode} while starting: {_tail(log)}")
        if time.monotonic() > deadline:
            raise ClusterError(f"{what} not ready after {timeout:.0f} s: {_tail(log)}")
        time.sleep(0.25)


def _tail(log: Path) -> str:
    """The end of a log, in the error itself: destroy() removes the folder it is in."""
    if not log.is_file():
        return "(no log)"
    lines = log.read_text(errors="replace").strip().splitlines()[-3:]
    return " | ".join(line.strip()[:200] for line in lines) or "(empty log)"


def _answers(port: int) -> bool:
    """Whether epmd lists its nodes (a whole NAMES_REQ: a bare connect is logged as broken)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"\x00\x01n")
            return len(conn.recv(4)) == 4
    except OSError:
        return False


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)  # its own session: its group id is its pid
