"""The rendered chart as podman 4.3's `kube play` can run it: one Pod per workload.

Everything here works around a podman limitation, named next to it; the pods keep the
chart's containers, images, env, securityContext, resources, volumes and probes as rendered.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.pods.podman import PREFIX

WORKLOADS = ("Deployment", "StatefulSet")
NODE_PORT_HOST = "127.0.0.1"
# kube play refuses annotation values longer than a label value may be (63 characters).
ANNOTATION_LIMIT = 63


@dataclass(frozen=True)
class Workload:
    """A workload's pod as the chart renders it (for probes and checks) and as podman runs it."""

    name: str
    rendered: Mapping[str, Any]
    playable: Mapping[str, Any]
    claims: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    config_maps: tuple[Mapping[str, Any], ...]
    secrets: tuple[Mapping[str, Any], ...]
    workloads: tuple[Workload, ...]
    node_ports: Mapping[str, int] = field(default_factory=dict)

    @property
    def volumes(self) -> tuple[str, ...]:
        return tuple(claim for workload in self.workloads for claim in workload.claims)

    def workload(self, name: str) -> Workload:
        return next(w for w in self.workloads if w.name == name)


def plan(documents: Iterable[Mapping[str, Any] | None]) -> Plan:
    docs = [doc for doc in documents if doc]
    by_kind = _by_kind(docs)
    node_ports = _node_ports(by_kind.get("Service", []), by_kind)
    workloads = tuple(
        _workload(doc, node_ports.get(doc["metadata"]["name"], {}))
        for kind in WORKLOADS
        for doc in by_kind.get(kind, [])
    )
    return Plan(
        config_maps=tuple(by_kind.get("ConfigMap", [])),
        secrets=tuple(by_kind.get("Secret", [])),
        workloads=workloads,
        node_ports={name: port for ports in node_ports.values() for name, port in ports.items()},
    )


def _by_kind(docs: list[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {}
    for doc in docs:
        found.setdefault(doc["kind"], []).append(doc)
    return found


def _node_ports(
    services: list[Mapping[str, Any]], by_kind: Mapping[str, list[Mapping[str, Any]]]
) -> dict[str, dict[str, int]]:
    """workload name -> {target port (name or number): node port} of its NodePort Services."""
    found: dict[str, dict[str, int]] = {}
    for service in services:
        spec = service["spec"]
        if spec.get("type") != "NodePort":
            continue
        owner = _selected_workload(spec["selector"], by_kind)
        for port in spec["ports"]:
            found.setdefault(owner, {})[str(port["targetPort"])] = int(port["nodePort"])
    return found


def _selected_workload(selector: Mapping[str, str], by_kind: Mapping[str, list[Any]]) -> str:
    for kind in WORKLOADS:
        for doc in by_kind.get(kind, []):
            labels = doc["spec"]["template"]["metadata"].get("labels", {})
            if all(labels.get(key) == value for key, value in selector.items()):
                return str(doc["metadata"]["name"])
    raise ValueError(f"no workload matches the selector {dict(selector)}")


def _workload(doc: Mapping[str, Any], node_ports: Mapping[str, int]) -> Workload:
    # StatefulSets are not supported by kube play: their pod template runs as a pod.
    name = str(doc["metadata"]["name"])
    template = doc["spec"]["template"]
    spec = copy.deepcopy(template["spec"])
    claims = _claim_volumes(doc, spec)
    _own_empty_dirs(name, spec)
    for container in spec["containers"]:
        _publish_node_ports_only(container, node_ports)
        _resolve_symlinked_mounts(container)
    metadata = {
        # Named after its Service, so that the pods resolve each other by Service name
        # on the podman network, as cluster DNS would answer.
        "name": name,
        "labels": dict(template["metadata"].get("labels", {})),
        "annotations": _short_annotations(template["metadata"].get("annotations", {})),
    }
    playable = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
    rendered = {"metadata": template["metadata"], "spec": template["spec"]}
    return Workload(name=name, rendered=rendered, playable=playable, claims=claims)


def _claim_volumes(doc: Mapping[str, Any], spec: dict[str, Any]) -> tuple[str, ...]:
    """The podman volumes the pod's claims need, created beforehand by the caller.

    kube play neither knows volumeClaimTemplates nor replays a PersistentVolumeClaim it
    created in an earlier play, so each claim becomes a named podman volume, under the
    name the StatefulSet controller would give its claim (<template>-<pod>).
    """
    name = doc["metadata"]["name"]
    for template in doc["spec"].get("volumeClaimTemplates", []):
        volume = template["metadata"]["name"]
        claim = f"{volume}-{name}-0"
        spec.setdefault("volumes", []).append(
            {"name": volume, "persistentVolumeClaim": {"claimName": claim}}
        )
    claims = []
    for volume in spec.get("volumes", []):
        if "persistentVolumeClaim" in volume:
            # Prefixed, so that the volumes are recognisably this harness's own.
            claim = f"{PREFIX}-{volume['persistentVolumeClaim']['claimName']}"
            volume["persistentVolumeClaim"]["claimName"] = claim
            claims.append(claim)
    return tuple(claims)


def _own_empty_dirs(pod: str, spec: dict[str, Any]) -> None:
    # kube play backs an emptyDir by a volume named after it alone, so two pods' `tmp`
    # would be one shared directory: each pod gets its own name.
    renamed = {
        volume["name"]: f"{pod}-{volume['name']}"
        for volume in spec.get("volumes", [])
        if "emptyDir" in volume
    }
    for volume in spec.get("volumes", []):
        volume["name"] = renamed.get(volume["name"], volume["name"])
    for container in spec["containers"]:
        for mount in container.get("volumeMounts", []):
            mount["name"] = renamed.get(mount["name"], mount["name"])


def _publish_node_ports_only(container: dict[str, Any], node_ports: Mapping[str, int]) -> None:
    # kube play publishes every containerPort on the host; in a cluster only the NodePort
    # is reachable from outside, so that alone is published, on the loopback address.
    published = []
    for port in container.get("ports", []):
        node_port = node_ports.get(str(port.get("name"))) or node_ports.get(
            str(port["containerPort"])
        )
        if node_port:
            published.append({**port, "hostPort": node_port, "hostIP": NODE_PORT_HOST})
    container["ports"] = published


def _resolve_symlinked_mounts(container: dict[str, Any]) -> None:
    for mount in container.get("volumeMounts", []):
        mount["mountPath"] = played_mount_path(mount["mountPath"])


def played_mount_path(path: str) -> str:
    """Where podman mounts what the chart mounts at `path`.

    A new podman volume takes its owner from the directory at the mount point, but podman
    4.3 follows the image's /var/run -> /run symlink on the host's filesystem: mounted at
    /var/run/postgresql, the volume got the host's /run/postgresql owner (not the image's
    uid 999), and PostgreSQL could not create its socket there.
    """
    return path.removeprefix("/var") if path.startswith("/var/run/") else path


def _short_annotations(annotations: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in annotations.items() if len(value) <= ANNOTATION_LIMIT}
