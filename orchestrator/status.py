"""`status` as rich tables: VMs, nodes, workloads, HPAs and the gateway's URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table

from orchestrator.kube import Workload


def vm_table(states: Mapping[str, str]) -> Table:
    table = Table(title="Vagrant VMs")
    table.add_column("VM")
    table.add_column("state")
    for name, state in states.items():
        table.add_row(name, _colour(state, state == "running"))
    return table


def node_table(nodes: list[dict[str, Any]]) -> Table:
    table = Table(title="Nodes")
    for column in ("node", "status", "roles", "internal IP", "version"):
        table.add_column(column)
    for node in nodes:
        labels = node["metadata"].get("labels", {})
        roles = sorted(
            key.split("/", 1)[1] for key in labels if key.startswith("node-role.kubernetes.io/")
        )
        ready = any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in node.get("status", {}).get("conditions", [])
        )
        addresses = node.get("status", {}).get("addresses", [])
        internal = next((a["address"] for a in addresses if a["type"] == "InternalIP"), "?")
        table.add_row(
            node["metadata"]["name"],
            _colour("Ready" if ready else "NotReady", ready),
            ",".join(roles) or "<none>",
            internal,
            node.get("status", {}).get("nodeInfo", {}).get("kubeletVersion", "?"),
        )
    return table


def workload_table(workloads: list[Workload]) -> Table:
    table = Table(title="Workloads")
    for column in ("workload", "ready"):
        table.add_column(column)
    for workload in workloads:
        ok = workload.ready >= workload.desired
        table.add_row(workload.ref, _colour(f"{workload.ready}/{workload.desired}", ok))
    return table


def hpa_table(hpas: list[dict[str, Any]]) -> Table:
    table = Table(title="Horizontal pod autoscalers")
    for column in ("HPA", "target", "min", "max", "replicas", "CPU now / target"):
        table.add_column(column)
    for hpa in hpas:
        spec, status = hpa["spec"], hpa.get("status", {})
        table.add_row(
            hpa["metadata"]["name"],
            f"{spec['scaleTargetRef']['kind']}/{spec['scaleTargetRef']['name']}",
            str(spec.get("minReplicas", 1)),
            str(spec["maxReplicas"]),
            str(status.get("currentReplicas", 0)),
            f"{_cpu_current(status)} / {_cpu_target(spec)}",
        )
    return table


def _cpu_target(spec: Mapping[str, Any]) -> str:
    for metric in spec.get("metrics", []):
        if metric.get("resource", {}).get("name") == "cpu":
            return f"{metric['resource']['target'].get('averageUtilization', '?')}%"
    return "-"


def _cpu_current(status: Mapping[str, Any]) -> str:
    for metric in status.get("currentMetrics") or []:
        if metric.get("resource", {}).get("name") == "cpu":
            return f"{metric['resource']['current'].get('averageUtilization', '?')}%"
    return "?"


def _colour(text: str, ok: bool) -> str:
    return f"[green]{text}[/]" if ok else f"[red]{text}[/]"
