"""checkov finds nothing the chart could fix, in any environment.

The skipped checks are the ones generator.chart.checks lists with reasons (also in the
chart README). Without checkov installed this skips, unless MOVIES_REQUIRE_CHECKOV is set
(the `chart` nox session sets it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from generator.chart.checks import CHECKOV_SKIPS, HELM_RUNNER_SKIPS
from tests.generator.chart_support import CHART, RENDERINGS, helm, rendered_text


def _checkov() -> str:
    found = shutil.which("checkov")
    if found is None:
        if os.environ.get("MOVIES_REQUIRE_CHECKOV"):
            pytest.fail("checkov is not installed: pip install checkov (nox -s chart does)")
        pytest.skip("checkov is not installed")
    return found


def _run(folder, framework: str, skips: list[str]) -> dict:
    # checkov's helm runner calls `helm`: put the toolchain's first on its PATH.
    path = f"{helm().parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(
        [_checkov(), "-d", str(folder), "--framework", framework, "--quiet",
         "--compact", "-o", "json", "--skip-check", ",".join(skips)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PATH": path},
    )  # fmt: skip
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def _scan(tmp_path, text: str) -> dict:
    (tmp_path / "rendered.yaml").write_text(text)
    return _run(tmp_path, "kubernetes", list(CHECKOV_SKIPS))


def _failed(report: dict) -> list[str]:
    return [
        f"{c['check_id']} {c['check_name']} ({c['resource']})"
        for c in report["results"]["failed_checks"]
    ]


@pytest.mark.parametrize("env", RENDERINGS)
def test_checkov_finds_no_failed_check(env, tmp_path):
    report = _scan(tmp_path, rendered_text(env))
    summary = report["summary"]
    failed = _failed(report)
    print(f"{env}: checkov passed {summary['passed']}, failed {summary['failed']}, "
          f"skipped {summary['skipped']}")  # fmt: skip
    assert summary["passed"] > 100
    assert failed == []


def test_checkov_would_catch_a_privileged_container(tmp_path):
    """The scan above can fail: a container allowed to escalate privileges is reported."""
    text = rendered_text("vagrant").replace(
        "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1
    )
    failed = _scan(tmp_path, text)["results"]["failed_checks"]
    assert any(c["check_id"] == "CKV_K8S_20" for c in failed)


def test_checkov_on_the_chart_folder_finds_no_failed_check():
    """checkov's own helm runner on charts/movies, with the chart's default values."""
    report = _run(CHART, "helm", [*CHECKOV_SKIPS, *HELM_RUNNER_SKIPS])
    print(f"chart folder: checkov passed {report['summary']['passed']}, "
          f"failed {report['summary']['failed']}")  # fmt: skip
    assert report["summary"]["passed"] > 100
    assert _failed(report) == []
