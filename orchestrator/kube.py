"""Cluster state through kubectl, pointed at ./k3s.yaml."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import OrchestratorError
from orchestrator.proc import run
from orchestrator.settings import Settings
from services import contract

# The workloads a user names by the service they run.
SERVICE_ALIASES = {app.short: app.name for app in contract.APPS}
# The three apps whose /readyz `health` asks for.
APP_SERVICES = tuple(app.name for app in contract.APPS)


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    ready: int
    desired: int
    selector: dict[str, str]

    @property
    def ref(self) -> str:
        return f"{self.kind.lower()}/{self.name}"


@dataclass(frozen=True)
class Kubectl:
    binary: Path
    settings: Settings

    def run(self, *args: str, namespaced: bool = True) -> str:
        argv: list[str | Path] = [self.binary, "--kubeconfig", self.settings.kubeconfig]
        if namespaced:
            argv += ["--namespace", self.settings.namespace]
        return run(
            [*argv, *args],
            what=f"kubectl {args[0]}",
            fix="check the cluster with ./orchestrator.sh status",
        )

    def get_json(self, *args: str, namespaced: bool = True) -> Any:
        return json.loads(self.run("get", *args, "-o", "json", namespaced=namespaced))

    def ensure_reachable(self) -> None:
        """Fail with the fix when there is no kubeconfig or the API server does not answer."""
        require_kubeconfig(self.settings)
        try:
            self.run("version", "--request-timeout=10s", namespaced=False)
        except OrchestratorError as exc:
            raise OrchestratorError(
                f"the cluster at https://{self.settings.master.ip}:6443 does not answer: "
                "run ./orchestrator.sh start (or create)"
            ) from exc

    def nodes(self) -> list[dict[str, Any]]:
        return self.get_json("nodes", namespaced=False)["items"]

    def wait_nodes_ready(self) -> None:
        self.run(
            "wait", "--for=condition=Ready", "node", "--all",
            f"--timeout={self.settings.timeout_seconds}s", namespaced=False,
        )  # fmt: skip

    def workloads(self) -> list[Workload]:
        items = self.get_json("deployments,statefulsets")["items"]
        return [_workload(item) for item in items]

    def wait_rollouts(self) -> list[Workload]:
        """Block until every Deployment and StatefulSet has all its replicas ready."""
        workloads = self.workloads()
        for workload in workloads:
            self.run(
                "rollout", "status", workload.ref, f"--timeout={self.settings.timeout_seconds}s"
            )
        return workloads

    def hpas(self) -> list[dict[str, Any]]:
        return self.get_json("horizontalpodautoscalers")["items"]

    def workload(self, service: str) -> Workload:
        name = SERVICE_ALIASES.get(service, service)
        for workload in self.workloads():
            if workload.name == name:
                return workload
        known = ", ".join([*SERVICE_ALIASES, *(w.name for w in self.workloads())])
        raise OrchestratorError(f"no workload named {service!r}; choose one of: {known}")

    def logs_argv(self, workload: Workload, *, follow: bool, tail: int) -> list[str]:
        selector = ",".join(f"{key}={value}" for key, value in workload.selector.items())
        argv = [
            str(self.binary), "--kubeconfig", str(self.settings.kubeconfig),
            "--namespace", self.settings.namespace, "logs", "--selector", selector,
            "--all-containers", "--prefix", f"--tail={tail}", "--max-log-requests=10",
        ]  # fmt: skip
        return [*argv, "--follow"] if follow else argv

    def stream_logs(self, workload: Workload, *, follow: bool, tail: int) -> int:
        """kubectl's own output goes straight to the terminal: logs are long and live."""
        return subprocess.call(self.logs_argv(workload, follow=follow, tail=tail))

    def readyz(self, service: str) -> str:
        """GET /readyz of a Service through the API server's service proxy."""
        port = self.get_json(f"service/{service}")["spec"]["ports"][0]["port"]
        path = (
            f"/api/v1/namespaces/{self.settings.namespace}/services/{service}:{port}/proxy/readyz"
        )
        return self.run("get", "--raw", path, "--request-timeout=15s", namespaced=False)

    def exec_sql(self, pod: str, database: str, user: str, sql: str) -> str:
        return self.run("exec", pod, "--", "psql", "-U", user, "-d", database, "-At", "-c", sql)


def require_kubeconfig(settings: Settings) -> None:
    if not settings.kubeconfig.is_file():
        raise OrchestratorError(
            f"{settings.kubeconfig.name} is missing: no cluster was created here; "
            "run ./orchestrator.sh create"
        )


def _workload(item: dict[str, Any]) -> Workload:
    spec, status = item.get("spec", {}), item.get("status", {})
    return Workload(
        kind=item["kind"],
        name=item["metadata"]["name"],
        ready=int(status.get("readyReplicas", 0)),
        desired=int(spec.get("replicas", 1)),
        selector=dict(spec.get("selector", {}).get("matchLabels", {})),
    )
