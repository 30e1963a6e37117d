"""Rendering the committed chart with the real helm, once per environment and test run."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any

from generator.chart.render import documents
from tests.support.tools import on_path

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "movies"
ENVIRONMENTS = ("vagrant", "dev", "prod")
NAMESPACE = "microservices"


@functools.cache
def helm() -> Path:
    return on_path("helm")


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm()), *args], capture_output=True, text=True, timeout=120)


def template(env: str, *extra: str) -> subprocess.CompletedProcess[str]:
    values = str(ROOT / "values" / f"{env}.yaml")
    return run_helm("template", "movies", str(CHART), "-n", NAMESPACE, "-f", values, *extra)


@functools.cache
def rendered_text(env: str) -> str:
    result = template(env)
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
