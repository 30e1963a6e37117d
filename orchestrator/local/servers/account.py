"""Who a private server runs as. PostgreSQL's initdb and postgres refuse to run as root, and a
RabbitMQ node should not either, so under root each runs as the unprivileged user its package
created (`postgres`, `rabbitmq`) and its folder is handed to that user. Anyone else runs them
as themselves."""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import OrchestratorError


@dataclass(frozen=True)
class Account:
    name: str
    uid: int | None = None  # None: the user running `local`
    gid: int | None = None

    @classmethod
    def for_server(cls, system_user: str, server: str) -> Account:
        if os.geteuid() != 0:
            return cls(pwd.getpwuid(os.geteuid()).pw_name)
        try:
            entry = pwd.getpwnam(system_user)
        except KeyError:
            raise OrchestratorError(
                f"`local` runs as root, which {server} refuses, and there is no `{system_user}` "
                f"user to run a private {server} as: create one, or run `local` as another user"
            ) from None
        return cls(system_user, entry.pw_uid, entry.pw_gid)

    @property
    def user(self) -> str | None:
        """Whom supervisord runs the program as: None, the user running `local`."""
        return None if self.uid is None else self.name

    def popen(self) -> dict[str, Any]:
        """The subprocess arguments that run a program as this account."""
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def take(self, folder: Path) -> None:
        """Hands `folder` and all in it to this account, which must be able to reach it."""
        if self.uid is None:
            return
        for path in (folder, *folder.rglob("*")):
            if path.lstat().st_uid != self.uid:
                os.lchown(path, self.uid, self.gid if self.gid is not None else -1)
        # Owning the folder is not enough when a folder above it is private to root.
        probe = subprocess.run(["test", "-w", str(folder)], check=False, **self.popen())
        if probe.returncode != 0:
            raise OrchestratorError(
                f"the `{self.name}` user cannot reach {folder} (a folder above it is closed to "
                "other users): set LOCAL_SERVERS_DIR to a folder it can reach"
            )
