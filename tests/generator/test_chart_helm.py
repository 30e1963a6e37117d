"""The real helm accepts the chart strictly, and its schema rejects bad values."""

from __future__ import annotations

import pytest

from tests.generator.chart_support import CHART, RENDERINGS, run_helm, template, values_args


@pytest.mark.parametrize("env", RENDERINGS)
def test_helm_lint_strict_passes(env):
    result = run_helm("lint", "--strict", str(CHART), *values_args(env))
    print(f"{env}: {result.stdout.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_helm_lint_strict_fails_on_a_broken_values_file(tmp_path):
    """The lint above can fail: a value of the wrong type makes it fail."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("gateway:\n  replicas: many\n")
    result = run_helm("lint", "--strict", str(CHART), "-f", str(bad))
    assert result.returncode != 0


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        (("--set-string", "gateway.replicas=three"), ["gateway", "replicas", "integer"]),
        (("--set", "gateway.autoscaling.enabled=maybe"), ["enabled", "boolean"]),
        (("--set", "inventoryDb.persistence.size=5"), ["size", "string"]),
        (("--set", "gateway.service.type=Public"), ["type"]),
        # Inside shapes the schema states once under $defs and references.
        (("--set-string", "billing.probes.liveness.periodSeconds=soon"), ["periodSeconds"]),
        (("--set", "rabbitmq.resources.limits.cpu=1"), ["cpu", "string"]),
        (("--set", "billingDb.securityContext.runAsUser=0"), ["runAsUser", "minimum"]),
        (("--set", "rabbitmq.mode=cluster"), ["mode", "bundled", "operator", "external"]),
        (("--set", "gateway.auth.enabled=yes"), ["enabled", "boolean"]),
    ],
)
def test_schema_rejects_a_wrong_type_with_a_clear_message(setting, words):
    result = template("vagrant", *setting)
    assert result.returncode != 0
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.parametrize(
    "key", ["gateway.replica", "bogus", "rabbitmq.auth.pass", "inventoryDb.persistence.sizeGi"]
)
def test_schema_rejects_an_unknown_key(key):
    result = template("vagrant", "--set", f"{key}=1")
    assert result.returncode != 0
    assert key.rsplit(".", 1)[-1] in result.stderr, result.stderr
    assert "additional properties" in result.stderr.lower(), result.stderr


def test_schema_accepts_a_correct_override():
    """The rejections above are about the values, not a chart that never renders."""
    result = template(
        "vagrant", "--set", "gateway.replicas=2", "--set", "gateway.ingress.enabled=true"
    )
    assert result.returncode == 0, result.stderr
