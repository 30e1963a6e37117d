"""Every workflow of the project is a session here; README.md names each one.

`nox` alone runs the sessions that CI runs (see `nox.options.sessions`).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) on everything Python."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Service tests against the real PostgreSQL and RabbitMQ on this machine."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/services", *session.posargs)
