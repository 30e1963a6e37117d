"""Cluster state through kubectl, pointed at ./k3s.yaml."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from orchestrator.errors import OrchestratorError
from orchestrator.proc import run
from orchestrator.settings import Settings
from services import contract

# The workloads a user names by the service they run.
SERVICE_ALIASES = {app.short: app.name for app in contract.APPS}
# The three apps whose /readyz `health` asks for.
APP_SERVICES = tuple(app.name for app in contract.APPS)
# Run by `health` inside each app container: the pod asks itself, so neither the API
# server's route to the pod nor the NetworkPolicies are in the way. The body goes to
# stdout when ready; else to stderr, with exit status 1.
READYZ_SCRIPT = (
    "import os, sys, urllib.error, urllib.request\n"
    "url = 'http://127.0.0.1:%s/readyz' % os.environ['PORT']\n"
    "try:\n"
    "    print(urllib.request.urlopen(url, timeout=10).read().decode())\n"
    "except urllib.error.HTTPError as e:\n"
    "    sys.exit('%s %s' % (e.code, e.read().decode()))\n"
    "except OSError as e:\n"
    "    sys.exit(str(e))\n"
)
# The restricted Pod Security Standard, enforced on the namespace: the chart's pods meet it.
POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
}


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

    def run(self, *args: str, namespaced: bool = True, stdin: IO[bytes] | None = None) -> str:
        argv: list[str | Path] = [self.binary, "--kubeconfig", self.settings.kubeconfig]
        if namespaced:
            argv += ["--namespace", self.settings.namespace]
        return run(
            [*argv, *args],
            what=f"kubectl {args[0]}",
            fix="check the cluster with ./orchestrator.sh status",
            stdin=stdin,
        )

    def apply(self, manifest: Mapping[str, Any]) -> str:
        with tempfile.TemporaryFile() as document:
            document.write(yaml.safe_dump(dict(manifest), sort_keys=False).encode())
            document.seek(0)
            return self.run("apply", "-f", "-", namespaced=False, stdin=document)

    def ensure_namespace(self) -> None:
        """The release's namespace, labelled to enforce the restricted Pod Security Standard."""
        self.apply(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": self.settings.namespace, "labels": POD_SECURITY_LABELS},
            }
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
        """Wait until every node of the cluster has registered, then until each is Ready:
        `kubectl wait node --all` right after `vagrant up` may see the master alone."""
        names = [node.name for node in self.settings.nodes]
        deadline = time.monotonic() + self.settings.timeout_seconds
        while missing := self._unregistered(names):
            if time.monotonic() >= deadline:
                raise OrchestratorError(
                    f"{', '.join(missing)} did not join the cluster within "
                    f"{self.settings.timeout_seconds}s; see `vagrant ssh {missing[0]} -c "
                    "'sudo journalctl -u k3s-agent'` and rerun ./orchestrator.sh create"
                )
            time.sleep(self.settings.poll_seconds)
        self.run(
            "wait", "--for=condition=Ready", *(f"node/{name}" for name in names),
            f"--timeout={self.settings.timeout_seconds}s", namespaced=False,
        )  # fmt: skip

    def _unregistered(self, names: list[str]) -> list[str]:
        present = {item["metadata"]["name"] for item in self.nodes()}
        return [name for name in names if name not in present]

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

    def running_pods(self, workload: Workload) -> list[str]:
        selector = ",".join(f"{key}={value}" for key, value in workload.selector.items())
        items = self.get_json("pods", "--selector", selector)["items"]
        return [
            item["metadata"]["name"]
            for item in items
            if item.get("status", {}).get("phase") == "Running"
        ]

    def readyz(self, pod: str, container: str) -> str:
        """GET /readyz of one pod, asked from inside it (see READYZ_SCRIPT)."""
        return self.run(
            "exec", pod, "-c", container, "--request-timeout=30s", "--",
            "python", "-c", READYZ_SCRIPT,
        )  # fmt: skip


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
