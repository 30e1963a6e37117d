"""`health`: each app's /readyz, asked through the API server's service proxy."""

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
        try:
            body = kubectl.readyz(service)
        except OrchestratorError as exc:
            results.append(Probe(service, ok=False, detail=exc.message))
        else:
            results.append(Probe(service, ok=True, detail=body.strip()[:120] or "200"))
    return results
