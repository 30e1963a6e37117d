"""The one kind of failure the CLI reports: a single line saying what is wrong and the fix."""

from __future__ import annotations

import shutil

import click


class OrchestratorError(click.ClickException):
    """Printed by Click as one `Error: ...` line with exit code 1, never a traceback."""


# Where to get each external program; the messages name the fix, not just the fault.
INSTALL_HINTS: dict[str, str] = {
    "vagrant": "install Vagrant from https://developer.hashicorp.com/vagrant/install "
    "(Debian/Ubuntu: apt-get install vagrant)",
    "VBoxManage": "install VirtualBox from https://www.virtualbox.org/wiki/Downloads",
}


def require_program(name: str) -> str:
    """The absolute path of `name` on PATH, or an error saying how to install it."""
    path = shutil.which(name)
    if path is None:
        hint = INSTALL_HINTS.get(name, f"install {name} and put it on PATH")
        raise OrchestratorError(f"{name} is not installed (not on PATH): {hint}")
    return path


def last_line(text: str | bytes) -> str:
    """The last non-empty line of a program's output: usually the one that explains."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
