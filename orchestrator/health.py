"""`health`: /readyz of every pod of each app, asked from inside the pod.

Not through the API server's service proxy: with K3s's default egress-selector-mode
(agent) the server reaches pods on the agent from the node's own address, which the
chart's NetworkPolicies drop. `kubectl exec` goes through the kubelet instead, and the
pod asks itself on 127.0.0.1, so this works wherever the pods land."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.errors import OrchestratorError
from orchestrator.kube import APP_SERVICES, Kubectl


@dataclass(frozen=True)
class Probe:
    service: str
    ok: bool
    detail: str


def probe_all(kubectl: Kubectl) -> list[Probe]:
    results = []
    for service in APP_SERVICES:
        pods = kubectl.running_pods(kubectl.workload(service))
        if not pods:
            results.append(Probe(service, ok=False, detail="no running pod"))
        results.extend(probe_pod(kubectl, pod, service) for pod in pods)
    return results


def probe_pod(kubectl: Kubectl, pod: str, container: str) -> Probe:
    try:
        body = kubectl.readyz(pod, container)
    except OrchestratorError as exc:
        return Probe(pod, ok=False, detail=exc.message)
    return Probe(pod, ok=True, detail=body.strip()[:120] or "200")
