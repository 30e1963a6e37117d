"""The podman command line, with this harness's own settings file and bounded calls."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CONTAINERS_CONF = HERE / "containers.conf"
# Every image, volume, network and secret this harness makes carries this prefix.
PREFIX = "movies-pods"
LOCAL = f"localhost/{PREFIX}"


class PodmanError(RuntimeError):
    """A podman command failed; the message holds its command line and stderr."""


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


@dataclass(frozen=True)
class Podman:
    timeout: float = 300.0

    def run(
        self, *args: str, check: bool = True, stdin: str | None = None, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(
                ["podman", *args],
                input=stdin,
                capture_output=True,
                text=True,
                env=podman_env(),
                timeout=timeout or self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PodmanError(f"podman {' '.join(args)}: no answer in {exc.timeout:.0f}s") from exc
        if check and done.returncode != 0:
            raise PodmanError(f"podman {' '.join(args)}: {done.stderr.strip()}")
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args).stdout or "null")

    def exists(self, kind: str, name: str) -> bool:
        return self.run(kind, "exists", name, check=False).returncode == 0

    def exec(
        self, container: str, *command: str, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        return self.run("exec", container, *command, check=False, timeout=timeout)
