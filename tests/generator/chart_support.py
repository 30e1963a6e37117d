"""Rendering the committed chart with the real helm, once per environment and test run."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from generator.chart.render import documents
from services import contract
from tests.support.tools import on_path

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "movies"
ENVIRONMENTS = ("vagrant", "dev", "prod")
# The environments whose backends are all bundled (prod runs them under operators).
BUNDLED = ("vagrant", "dev")
NAMESPACE = "microservices"
APPS = tuple(app.name for app in contract.APPS)
SERVICE_MONITOR_API = "monitoring.coreos.com/v1/ServiceMonitor"
BACKEND_KEYS = ("inventoryDb", "billingDb", "rabbitmq")
# Each backend in each mode but bundled, on top of values/vagrant.yaml; the external ones
# with the settings a managed service needs.
EXTERNAL = {
    "inventoryDb": ("host=inventory.db.example.com", "existingSecret=inventory-db-login"),
    "billingDb": ("host=billing.db.example.com", "port=6432", "existingSecret=billing-login",
                  "existingSecretUserKey=user", "existingSecretPasswordKey=pass"),
    "rabbitmq": ("host=broker.example.com", "port=5671", "existingSecret=broker-login"),
}  # fmt: skip
MODE_CASES: dict[str, tuple[str, ...]] = {
    f"{key}-operator": ("--set", f"{key}.mode=operator") for key in BACKEND_KEYS
} | {
    f"{key}-external": (
        "--set", f"{key}.mode=external",
        *(arg for setting in EXTERNAL[key] for arg in ("--set", f"{key}.external.{setting}")),
    )
    for key in BACKEND_KEYS
}  # fmt: skip
# Every rendering the static checks (lint, strict validation, checkov) run on.
RENDERINGS = (*ENVIRONMENTS, *MODE_CASES)


@functools.cache
def helm() -> Path:
    return on_path("helm")


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm()), *args], capture_output=True, text=True, timeout=120)


def template(env: str, *extra: str) -> subprocess.CompletedProcess[str]:
    values = str(ROOT / "values" / f"{env}.yaml")
    return run_helm("template", "movies", str(CHART), "-n", NAMESPACE, "-f", values, *extra)


def values_args(name: str) -> tuple[str, ...]:
    """``-f``/``--set`` arguments of an environment or a mode case."""
    if name in MODE_CASES:
        return ("-f", str(ROOT / "values" / "vagrant.yaml"), *MODE_CASES[name])
    return ("-f", str(ROOT / "values" / f"{name}.yaml"))


@functools.cache
def rendered_text(env: str) -> str:
    """The rendering of an environment or of a mode case."""
    result = run_helm("template", "movies", str(CHART), "-n", NAMESPACE, *values_args(env))
    assert result.returncode == 0, result.stderr
    return result.stdout


def rendered(env: str) -> list[dict[str, Any]]:
    return list(documents(rendered_text(env)))


def by_kind(docs: list[dict[str, Any]], *kinds: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] in kinds]


def named(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} objects"
    return matches[0]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"] if workload["kind"] == "Pod" else workload["spec"]["template"]["spec"]


WORKLOADS = ("Deployment", "StatefulSet")


def notes(tmp_path, *extra: str, env: str = "prod") -> str:
    """NOTES.txt as helm renders it (helm template leaves NOTES out, and helm install has
    no --api-versions): the same text, wrapped in a template of a copy of the chart."""
    chart = tmp_path / "movies"
    if not chart.exists():
        shutil.copytree(CHART, chart)
        text = (CHART / "templates" / "NOTES.txt").read_text()
        (chart / "templates" / "_notes.tpl").write_text(
            '{{- define "probe.notes" -}}\n' + text + "{{- end }}\n"
        )
        (chart / "templates" / "notes.yaml").write_text(
            'notes: {{ include "probe.notes" . | toJson }}\n'
        )
    done = run_helm("template", "movies", str(chart), "-n", NAMESPACE, *values_args(env),
                    "--show-only", "templates/notes.yaml", *extra)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["notes"]
