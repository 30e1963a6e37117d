"""A PostgreSQL primary with a streaming standby on this machine, behind a relay that stands
for CloudNativePG's `<cluster>-rw` Service: what a switchover needs, for real.

Each server is Debian's own binaries (initdb, pg_ctl, pg_basebackup -R) in a folder of its own
under a fresh temporary folder, on free ports, run as the `postgres` user when we are root
(PostgreSQL refuses root). Everything it starts is stopped and the folder removed by `destroy`,
whatever happened before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pg8000.native

from faults.tcp_proxy import TcpProxy
from orchestrator.local.net import free_port
from orchestrator.local.servers.account import Account
from orchestrator.local.servers.postgres import bin_dir

STANDBY_NAME = "standby1"  # its application_name, which synchronous_standby_names names
SUPERUSER = "postgres"
_COMMAND_SECONDS = 60
_READY_SECONDS = 30.0


class PairError(RuntimeError):
    """The pair could not be set up; the message names the step and the log to read."""


class ServiceRelay(TcpProxy):
    """Relays to whichever server is the primary, as the `-rw` Service does once the operator
    has moved it: `switch` points new connections at the new server and drops the old ones."""

    def switch(self, upstream: tuple[str, int]) -> None:
        with self._lock:
            self._upstream = upstream
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@dataclass
class Server:
    name: str
    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.folder / self.name

    @property
    def log(self) -> Path:
        return self.folder / f"{self.name}.log"

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def connect(self, database: str = "postgres") -> pg8000.native.Connection:
        return pg8000.native.Connection(
            SUPERUSER, host="127.0.0.1", port=self.port, database=database, timeout=10
        )

    def scalar(self, sql: str, database: str = "postgres") -> object:
        conn = self.connect(database)
        try:
            return conn.run(sql)[0][0]
        finally:
            conn.close()

    def query(self, sql: str, database: str) -> list[list[object]]:
        conn = self.connect(database)
        try:
            return conn.run(sql)
        finally:
            conn.close()

    def postmaster_pid(self) -> int | None:
        """The running postmaster of this data folder; None when there is none (a pid file
        left by a killed server may name a pid that another program has since been given)."""
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if str(self.data).encode() in command:
                return pid
        return None

    def remove_shared_memory(self) -> None:
        """A postmaster killed with -9 leaves its System V segment behind (a clean stop
        removes it); postmaster.pid's seventh line names it. Removed only once unattached."""
        if self.postmaster_pid() is not None:
            return
        with contextlib.suppress(OSError, IndexError, ValueError):
            lines = (self.data / "postmaster.pid").read_text().splitlines()
            segment = int(lines[6].split()[1])
            subprocess.run(["ipcrm", "-m", str(segment)], capture_output=True, check=False)


@dataclass
class PgPair:
    folder: Path
    synchronous: bool
    account: Account
    programs: Path
    primary: Server
    standby: Server
    relay: ServiceRelay
    # The standby streams through this relay, the network between the two nodes: the primary's
    # death cuts it at once, so that WAL not yet delivered is gone as with a dead node, not
    # handed over afterwards by the surviving kernel of this one machine.
    link: TcpProxy = field(init=False)

    def __post_init__(self) -> None:
        self.link = TcpProxy(self.primary.address)

    @classmethod
    def create(cls, *, synchronous: bool) -> PgPair:
        """Both servers streaming, the relay pointing at the primary; undone on failure."""
        programs = bin_dir()
        if programs is None or not (programs / "pg_basebackup").is_file():
            raise PairError(
                "PostgreSQL's server binaries (initdb, pg_ctl, postgres, pg_basebackup) are "
                "not installed: `sudo apt-get install postgresql`"
            )
        folder = Path(tempfile.mkdtemp(prefix="movies-pg-pair-"))
        account = Account.for_server("postgres", "PostgreSQL")
        account.take(folder)
        primary, standby = Server("primary", folder), Server("standby", folder)
        pair = cls(folder, synchronous, account, programs, primary, standby, ServiceRelay(("", 0)))
        try:
            pair._set_up()
        except BaseException:
            pair.destroy()
            raise
        return pair

    def _set_up(self) -> None:
        # --no-sync: nothing here outlives the run, and fsync stalls on a shared disk.
        self._tool("initdb", "-D", self.primary.data, "-U", SUPERUSER, "--auth=trust",
                   "--encoding=UTF8", "--no-sync", log=self.primary.log)  # fmt: skip
        self._start(self.primary, self._primary_options())
        self.link.start()
        # -R writes the link's address into the standby's primary_conninfo.
        self._tool("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.link.port),
                   "-U", SUPERUSER, "-D", self.standby.data, "-R", "-X", "stream",
                   "--checkpoint=fast", "--no-sync", log=self.standby.log)  # fmt: skip
        self._start(self.standby, self._common_options(self.standby, STANDBY_NAME))
        self._wait_streaming()
        self.relay.switch(self.primary.address)
        self.relay.start()

    def _common_options(self, server: Server, name: str) -> str:
        # fsync off: a process killed with -9 keeps what it wrote in the page cache, so only
        # what replication carried decides what survives, which is what is measured here.
        return (
            f"-p {server.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            f"-c cluster_name={name} -c fsync=off -c max_connections=60"
        )

    def _primary_options(self) -> str:
        names = STANDBY_NAME if self.synchronous else "''"
        return (
            f"{self._common_options(self.primary, 'primary')} -c wal_level=replica "
            f"-c max_wal_senders=4 -c synchronous_commit=on -c synchronous_standby_names={names}"
        )

    def _start(self, server: Server, options: str) -> None:
        self._tool("pg_ctl", "start", "--wait", f"--timeout={_COMMAND_SECONDS}", "-D",
                   server.data, "-l", server.log, "-o", options, log=server.log)  # fmt: skip

    def _wait_streaming(self) -> None:
        wanted = "sync" if self.synchronous else "async"
        sql = (
            "SELECT sync_state FROM pg_stat_replication "
            f"WHERE application_name = '{STANDBY_NAME}' AND state = 'streaming'"
        )
        deadline = time.monotonic() + _READY_SECONDS
        while time.monotonic() < deadline:
            conn = self.primary.connect()
            try:
                rows = conn.run(sql)
            finally:
                conn.close()
            if rows and rows[0][0] == wanted:
                return
            time.sleep(0.2)
        raise PairError(
            f"the standby did not stream ({wanted}) within {_READY_SECONDS:.0f} s: "
            f"see {self.standby.log}"
        )

    def create_database(self, name: str) -> None:
        conn = self.primary.connect()
        try:
            conn.run(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()

    def kill_primary(self) -> None:
        """The primary's node dies: the link to the standby goes, then kill -9 of the
        postmaster and every backend it forked.

        pg_ctl starts the postmaster in a session of its own, so its process group holds
        exactly the server's processes."""
        pid = self.primary.postmaster_pid()
        if pid is None:
            raise PairError(f"no postmaster.pid in {self.primary.data}: the primary is not up")
        if os.getpgid(pid) != pid:
            raise PairError(f"the primary's postmaster {pid} leads no process group of its own")
        self.link.cut()
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise PairError(f"the primary's processes survived kill -9 (group {pid})")

    def promote(self) -> None:
        self._tool("pg_ctl", "promote", "--wait", f"--timeout={_COMMAND_SECONDS}",
                   "-D", self.standby.data, log=self.standby.log)  # fmt: skip
        if self.standby.scalar("SELECT pg_is_in_recovery()"):
            raise PairError(f"the standby is still in recovery after promote: {self.standby.log}")

    def destroy(self) -> None:
        self.relay.cut()
        self.link.cut()
        for server in (self.primary, self.standby):
            if server.postmaster_pid() is not None:
                with contextlib.suppress(PairError):
                    self._tool("pg_ctl", "stop", "--wait", "-m", "immediate", "-D", server.data,
                               log=server.log)  # fmt: skip
            pid = server.postmaster_pid()
            if pid is not None:  # pg_ctl could not stop it: nothing may outlive the run
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
            server.remove_shared_memory()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _tool(self, name: str, *args: str | Path, log: Path) -> None:
        argv = [str(self.programs / name), *(str(arg) for arg in args)]
        log.touch()
        self.account.take(log)  # pg_ctl -l opens it as the server's account
        with log.open("ab") as out:
            try:
                done = subprocess.run(
                    argv, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, timeout=_COMMAND_SECONDS + 10, check=False,
                    start_new_session=True, **self.account.popen(),
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                raise PairError(
                    f"{name} did not finish in {_COMMAND_SECONDS} s: see {log}"
                ) from None
        if done.returncode != 0:
            raise PairError(f"{name} failed with exit code {done.returncode}: see {log}")
