"""The three environments (vagrant, dev, prod), each as typed changes to the chart's defaults."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.chart.model import Values

APPS = ("gateway", "inventory", "billing")
VOLUMES = ("inventoryDb", "billingDb", "rabbitmq")


def override(obj: Any, changes: Mapping[str, Any]) -> Any:
    """A copy of a frozen model with dotted-path changes; a wrong key raises TypeError."""
    nested: dict[str, dict[str, Any]] = {}
    direct: dict[str, Any] = {}
    for path, value in changes.items():
        head, _, rest = path.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            direct[head] = value
    for head, sub in nested.items():
        direct[head] = override(getattr(obj, head), sub)
    return dataclasses.replace(obj, **direct)


def each(keys: tuple[str, ...], setting: str, value: Any) -> dict[str, Any]:
    return {f"{key}.{setting}": value for key in keys}


@dataclass(frozen=True)
class Environment:
    name: str
    purpose: str
    changes: Mapping[str, Any]

    @property
    def values(self) -> Values:
        return override(Values(), self.changes)


VAGRANT = Environment(
    name="vagrant",
    purpose=(
        "The two-node K3s cluster of the Vagrantfile (k3s-master and k3s-agent).\n"
        "App images are side-loaded into the nodes (orchestrator load), so they are never\n"
        "pulled: `orchestrator load` also tags them with the chart's appVersion, which is\n"
        "what this file alone renders; `deploy` passes the exact tag it loaded.\n"
        "K3s's local-path provisioner backs the volumes; K3s enforces the NetworkPolicies.\n"
        "The gateway answers on every node at the NodePort."
    ),
    changes={
        "image.pullPolicy": "Never",
        **each(VOLUMES, "persistence.storageClass", "local-path"),
        **each(APPS, "podAntiAffinityPreset", "soft"),
    },
)

DEV = Environment(
    name="dev",
    purpose=(
        "Any single-node cluster (k3d, kind, minikube): one replica of everything,\n"
        "no HPAs (metrics-server may be missing), smaller requests to fit a laptop."
    ),
    changes={
        **each(APPS, "autoscaling.enabled", False),
        **each(APPS, "resources.requests.cpu", "25m"),
        **each(APPS, "resources.requests.memory", "64Mi"),
        **each(("inventoryDb", "billingDb", "rabbitmq"), "resources.requests.cpu", "50m"),
    },
)

PROD = Environment(
    name="prod",
    purpose=(
        "A real multi-node cluster: images from a registry, the gateway behind an\n"
        "Ingress with TLS, two replicas at least, spread over nodes and protected by\n"
        "PodDisruptionBudgets, Prometheus scraping through ServiceMonitors (made only when\n"
        "the cluster has the Prometheus Operator CRDs) and a Grafana dashboard. Volumes and\n"
        "the Ingress use the cluster's default StorageClass and IngressClass: list them with\n"
        "`kubectl get storageclass,ingressclass` and set <db>.persistence.storageClass and\n"
        "gateway.ingress.className to choose others. Replace registry, host, TLS Secret and\n"
        "cert-manager ClusterIssuer. Writes need a bearer token (gateway.auth: NOTES.txt\n"
        "says how to read the generated one); /metrics is reachable from the monitoring\n"
        "namespace only.\n"
        "PostgreSQL and RabbitMQ run under their operators (CloudNativePG, the RabbitMQ\n"
        "Cluster Operator), which must be installed first: three replicas each, one per node."
    ),
    changes={
        "image.registry": "registry.example.com",
        "gateway.service.type": "ClusterIP",
        "gateway.ingress.enabled": True,
        "gateway.ingress.host": "movies.example.com",
        "gateway.ingress.tls.secretName": "movies-tls",
        "gateway.ingress.tls.clusterIssuer": "letsencrypt-prod",
        "gateway.auth.enabled": True,
        **each(APPS, "replicas", 2),
        **each(APPS, "autoscaling.minReplicas", 2),
        **each(APPS, "pdb.enabled", True),
        **each(APPS, "podAntiAffinityPreset", "soft"),
        **each(APPS, "resources.requests.cpu", "100m"),
        **each(APPS, "resources.requests.memory", "128Mi"),
        **each(APPS, "resources.limits.cpu", "1"),
        **each(APPS, "resources.limits.memory", "512Mi"),
        "metrics.serviceMonitor.enabled": True,
        "metrics.dashboard.enabled": True,
        **each(VOLUMES, "mode", "operator"),
    },
)

ENVIRONMENTS = (VAGRANT, DEV, PROD)
