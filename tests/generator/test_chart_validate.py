"""Every rendered object is valid Kubernetes 1.33, with unknown fields as errors."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from tests.generator.chart_support import RENDERINGS, named, rendered

KUBERNETES = "1.33"
# Custom resources have no schema in Kubernetes itself: the operators' are validated
# against their CRDs in test_chart_modes, the ServiceMonitor by shape in test_chart_wiring.
CUSTOM_KINDS = {"ServiceMonitor", "Cluster", "RabbitmqCluster"}


@pytest.mark.parametrize("env", RENDERINGS)
def test_every_object_validates_strictly_against_kubernetes_1_33(env):
    docs = rendered(env)
    validated = []
    for doc in docs:
        if doc["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        validated.append(f"{doc['kind']}/{doc['metadata']['name']}")
    print(f"{env}: {len(validated)} objects valid against {KUBERNETES} (strict)")
    assert len(validated) >= 20


def test_strict_validation_catches_an_unknown_field():
    """The check above can fail: an unknown field in a container is an error."""
    deployment = copy.deepcopy(named(rendered("vagrant"), "Deployment", "api-gateway"))
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_numbers_stay_numbers_after_rendering():
    """A quoted number would fail the schema: prove the placeholders render unquoted."""
    deployment = copy.deepcopy(named(rendered("dev"), "Deployment", "api-gateway"))
    assert deployment["spec"]["replicas"] == 1
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 3000
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    container["ports"][0]["containerPort"] = "3000"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)
