"""A private PostgreSQL: its data folder is made by initdb on the first run and reused by every
later one; it listens on 127.0.0.1 only, with trust authentication; `postgres` runs as a
supervisord program and is stopped with SIGINT, PostgreSQL's fast shutdown, when `local`
ends."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pg8000.native
from rich.console import Console

from orchestrator.errors import OrchestratorError
from orchestrator.local.programs import Program
from orchestrator.local.servers.account import Account
from orchestrator.local.servers.lifecycle import PrivateServer, Step, failed, say, shown

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
    priority: ClassVar[int] = 10

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def steps(self) -> list[Step]:
        programs = self._programs()
        # The socket goes in our folder: the system's /var/run/postgresql is not ours to use.
        socket_dir = str(self.folder)
        if len(f"{socket_dir}/.s.PGSQL.{self.port}") > _MAX_SOCKET_PATH:
            socket_dir = ""
        postgres = Program(
            "postgresql",
            (str(programs / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-k", socket_dir, "-c", "listen_addresses=127.0.0.1"),
            {}, self.log, self.priority, directory=self.folder, user=self._account().user,
            stop_signal="INT", stop_seconds=START_SECONDS,
        )  # fmt: skip
        return [Step(postgres, self._answers, START_SECONDS)]

    def prepare(self, console: Console) -> None:
        programs, account = self._programs(), self._account()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log.touch()  # before the hand-over: initdb writes to it as the account
        account.take(self.folder)
        first = not (self.data / "PG_VERSION").is_file()
        say(console, f"starting private PostgreSQL{' (first run: initdb) ' if first else ' '}...")
        if first:
            self._initdb(programs, account)

    def ready_line(self) -> str:
        return f"private PostgreSQL ready on 127.0.0.1:{self.port}, data in {shown(self.data)}"

    def _programs(self) -> Path:
        programs = bin_dir(self.data)
        if programs is None:
            raise OrchestratorError(
                "PostgreSQL is not installed (no initdb, pg_ctl and postgres in "
                f"{DEBIAN_VERSIONS}/<version>/bin or on PATH): `sudo apt-get install postgresql`"
            )
        return programs

    def _account(self) -> Account:
        return Account.for_server("postgres", self.label)

    def _initdb(self, programs: Path, account: Account) -> None:
        # Made aside and then moved in place, so that an interrupted first run leaves no
        # half-made data folder for the next run to trip on.
        fresh = self.folder / "data.new"
        shutil.rmtree(fresh, ignore_errors=True)
        with self.log.open("ab") as log:
            made = subprocess.run(
                [str(programs / "initdb"), "-D", str(fresh), "-U", self.user, "--auth=trust",
                 "--encoding=UTF8"],
                cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                check=False,
                # A terminal's Ctrl-C reaches `local` alone, which then cleans up.
                start_new_session=True, **account.popen(),
            )  # fmt: skip
        if made.returncode != 0:
            raise failed(self)
        fresh.rename(self.data)

    def _answers(self) -> bool:
        """Whether it takes connections as `local` will make them (not only TCP: a server
        that is still starting up refuses logins)."""
        try:
            pg8000.native.Connection(
                self.user, host="127.0.0.1", port=self.port, database="postgres", timeout=2
            ).close()
        except (OSError, pg8000.exceptions.InterfaceError, pg8000.exceptions.DatabaseError):
            return False
        return True
