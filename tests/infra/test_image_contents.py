"""What the image's build stage does, replayed without Docker: a venv gets the hashed lock
and then `pip install --no-deps .` of exactly what services/Dockerfile copies, and the result
runs the three services with the project's runtime dependencies only."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.support.tools import REPO

# The Dockerfile's COPY lines, in the order it runs them. Every interpreter below runs
# isolated (-I), so that nothing is imported from this checkout by accident.
LOCK = "services/requirements.lock"
COPIED = (LOCK, "pyproject.toml", "README.md", "services")
OPERATOR_ONLY = ("click", "rich", "cdk8s", "pyhelm3", "docker", "vagrant", "kubernetes")


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("image")
    src = root / "src"
    src.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, src / name, ignore=ignore, dirs_exist_ok=True)
        else:
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, src / name)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [python, "-m", "pip", "install", "--quiet", "--no-cache-dir"]
    subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", src / LOCK], check=True, cwd=root)
    subprocess.run([*pip, "--no-deps", str(src)], check=True, cwd=root)
    shutil.rmtree(src)  # the runtime stage has no sources, only the venv
    return python


def test_only_the_runtime_dependencies_are_installed(image_venv):
    for module in OPERATOR_ONLY:
        found = subprocess.run([image_venv, "-I", "-c", f"import {module}"], capture_output=True)
        assert found.returncode != 0, f"{module} is in the image"
    runtime = ("falcon", "waitress", "urllib3", "pg8000", "kombu", "prometheus_client")
    for module in (*runtime, "orjson"):
        subprocess.run([image_venv, "-I", "-c", f"import {module}"], check=True)


def test_the_docs_page_assets_are_in_the_image(image_venv):
    check = "from openapi_ui_bundles import swagger_ui; print(swagger_ui.static_path)"
    path = subprocess.run([image_venv, "-I", "-c", check], capture_output=True, text=True).stdout
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert subprocess.run(["test", "-s", f"{path.strip()}/{asset}"]).returncode == 0, asset


@pytest.mark.parametrize("service", ["gateway", "inventory", "billing"])
def test_each_service_starts_from_the_installed_package(image_venv, tmp_path, service):
    # Without its required settings a service stops at once with one clear line; that
    # it gets that far shows the package, its data files and its imports are complete.
    done = subprocess.run(
        [image_venv, "-I", "-m", f"services.{service}"], cwd=tmp_path, capture_output=True,
        text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in output
    assert "missing required environment variable" in output


def test_the_gateway_ships_its_openapi_document(image_venv):
    check = "import importlib.resources as r; print(r.files('services.gateway') / 'openapi.json')"
    path = subprocess.run([image_venv, "-I", "-c", check], capture_output=True, text=True).stdout
    assert path.strip().endswith("site-packages/services/gateway/openapi.json")
    assert subprocess.run(["test", "-s", path.strip()]).returncode == 0


def test_the_replay_copies_what_the_dockerfile_copies():
    dockerfile = (REPO / "services" / "Dockerfile").read_text().splitlines()
    copies = [line.split()[1:-1] for line in dockerfile if line.startswith("COPY ")]
    sources = tuple(src for args in copies if not args[0].startswith("--") for src in args)
    assert sources == COPIED
