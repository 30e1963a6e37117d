"""A private PostgreSQL: its data folder is made by initdb on the first run and reused by every
later one; it listens on 127.0.0.1 only, with trust authentication, is started with `pg_ctl
start` and stopped with `pg_ctl stop -m fast` when `local` ends."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rich.console import Console

from orchestrator.errors import OrchestratorError
from orchestrator.local.servers.account import Account
from orchestrator.local.servers.lifecycle import PrivateServer, failed, say, shown

DEBIAN_VERSIONS = Path("/usr/lib/postgresql")  # one <version>/bin per installed major version
PROGRAMS = ("initdb", "pg_ctl", "postgres")
START_SECONDS = 60
# A Unix socket's path holds at most 107 bytes on Linux; a deeper folder gets TCP only.
_MAX_SOCKET_PATH = 107


def bin_dir(data: Path | None = None) -> Path | None:
    """Where initdb, pg_ctl and postgres are: the Debian version that made `data` when it is
    installed (a newer major version cannot read it), else the newest one, else PATH."""
    versions = sorted(
        (path for path in DEBIAN_VERSIONS.glob("*/bin") if _complete(path)),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    made_by = data / "PG_VERSION" if data is not None else None
    if made_by is not None and made_by.is_file():
        wanted = DEBIAN_VERSIONS / made_by.read_text().strip() / "bin"
        if wanted in versions:
            return wanted
    if versions:
        return versions[-1]
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is not None and _complete(Path(pg_ctl).parent):
        return Path(pg_ctl).parent
    return None


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in PROGRAMS)


@dataclass
class PrivatePostgres(PrivateServer):
    user: str  # the superuser initdb creates: the one `local` connects as
    label: ClassVar[str] = "PostgreSQL"
    _account: Account | None = field(default=None, init=False, repr=False)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def start(self, console: Console) -> None:
        programs = bin_dir(self.data)
        if programs is None:
            raise OrchestratorError(
                "PostgreSQL is not installed (no initdb, pg_ctl and postgres in "
                f"{DEBIAN_VERSIONS}/<version>/bin or on PATH): `sudo apt-get install postgresql`"
            )
        self._account = Account.for_server("postgres", self.label)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log.touch()  # before the hand-over: pg_ctl opens it as the account
        self._account.take(self.folder)
        first = not (self.data / "PG_VERSION").is_file()
        say(console, f"starting private PostgreSQL{' (first run: initdb)' if first else ''} ...")
        if first:
            self._initdb(programs)
        started = self._run(
            programs / "pg_ctl", "start", "--wait", f"--timeout={START_SECONDS}",
            "-D", self.data, "-l", self.log, "-o", self._options(),
        )  # fmt: skip
        if not started:
            raise failed(self)
        say(
            console,
            f"private PostgreSQL ready on 127.0.0.1:{self.port}, data in {shown(self.data)}",
        )

    def stop(self, console: Console) -> None:
        programs = bin_dir(self.data)
        if self._account is None or programs is None:
            return
        if (self.data / "postmaster.pid").exists():
            say(console, "stopping the private PostgreSQL")
            if not self._run(programs / "pg_ctl", "stop", "--wait", "-m", "fast", "-D", self.data):
                say(console, f"the private PostgreSQL did not stop: see {shown(self.log)}")
        self._account = None

    def _initdb(self, programs: Path) -> None:
        # Made aside and then moved in place, so that an interrupted first run leaves no
        # half-made data folder for the next run to trip on.
        fresh = self.folder / "data.new"
        shutil.rmtree(fresh, ignore_errors=True)
        made = self._run(
            programs / "initdb", "-D", fresh, "-U", self.user, "--auth=trust", "--encoding=UTF8"
        )
        if not made:
            raise failed(self)
        fresh.rename(self.data)

    def _options(self) -> str:
        # The socket goes in our folder: the system's /var/run/postgresql is not ours to use.
        socket_dir = str(self.folder)
        if len(f"{socket_dir}/.s.PGSQL.{self.port}") > _MAX_SOCKET_PATH:
            socket_dir = ""
        # pg_ctl hands these to a shell.
        return f"-p {self.port} -k {shlex.quote(socket_dir)} -c listen_addresses=127.0.0.1"

    def _run(self, *argv: str | Path) -> bool:
        assert self._account is not None
        with self.log.open("ab") as log:
            done = subprocess.run(
                [str(arg) for arg in argv], cwd=self.folder, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, check=False,
                # A terminal's Ctrl-C reaches `local` alone, which then stops this server.
                start_new_session=True, **self._account.popen(),
            )  # fmt: skip
        return done.returncode == 0
