"""The plan's pods on one podman network: what a cluster would hold for them beforehand
(network, Secrets, claimed volumes), play, stop, start, and a clean-up of everything."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.pods.convert import Plan
from tests.pods.podman import HERE, PREFIX, Podman
from tests.pods.probes import Outcome, probes_of, wait_ready

NETWORK = PREFIX
REPO = HERE.parents[1]
CHART = REPO / "charts" / "movies"
VALUES = (REPO / "values" / "vagrant.yaml", HERE / "values-local.yaml")
NAMESPACE = "microservices"
READY_WITHIN = 180.0


def render() -> list[dict]:
    """`helm template` once per run: it draws new passwords at every render, and the
    volumes must meet the same ones after a restart. helm is the one on PATH (the nox
    session puts .ci/toolchain.py's there)."""
    args = ["helm", "template", "movies", str(CHART), "-n", NAMESPACE]
    for values in VALUES:
        args += ["-f", str(values)]
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@dataclass(frozen=True)
class Cluster:
    podman: Podman
    plan: Plan
    manifest: Path

    def prepare(self) -> None:
        self.remove()
        self.podman.run("network", "create", NETWORK)
        for secret in self.plan.secrets:
            # kube play reads a Secret from a podman secret holding its data as JSON.
            self.podman.run(
                "secret", "create", secret["metadata"]["name"], "-",
                stdin=json.dumps(secret.get("data") or {}),
            )  # fmt: skip
        for volume in self.plan.volumes:
            self.podman.run("volume", "create", volume)

    def play(self) -> float:
        self.podman.run("kube", "play", "--network", NETWORK, str(self.manifest), timeout=300)
        return time.monotonic()

    def down(self) -> None:
        self.podman.run("kube", "down", str(self.manifest), check=False, timeout=300)

    def stop(self, pod: str) -> None:
        self.podman.run("pod", "stop", pod, timeout=120)

    def start(self, pod: str) -> float:
        self.podman.run("pod", "start", pod, timeout=120)
        return time.monotonic()

    def pod_state(self, pod: str) -> str:
        done = self.podman.run("pod", "inspect", "--format", "{{.State}}", pod, check=False)
        return done.stdout.strip() if done.returncode == 0 else "absent"

    def wait_ready(self, started: float, pods: tuple[str, ...] | None = None) -> list[Outcome]:
        workloads = [w for w in self.plan.workloads if pods is None or w.name in pods]
        return wait_ready(
            self.podman, probes_of(workloads, ("readinessProbe",)), started, READY_WITHIN
        )

    def logs(self, lines: int = 15) -> str:
        out = []
        for workload in self.plan.workloads:
            for container in workload.rendered["spec"]["containers"]:
                name = f"{workload.name}-{container['name']}"
                done = self.podman.run("logs", "--tail", str(lines), name, check=False)
                out.append(f"--- {name}\n{done.stdout}{done.stderr}")
        return "\n".join(out)

    def remove(self) -> None:
        """Everything this plan makes, whether or not a run got that far."""
        self.down()
        for workload in self.plan.workloads:
            self.podman.run("pod", "rm", "-f", workload.name, check=False)
        for secret in self.plan.secrets:
            self.podman.run("secret", "rm", secret["metadata"]["name"], check=False)
        for volume in self.plan.volumes:
            self.podman.run("volume", "rm", "-f", volume, check=False)
        self.podman.run("network", "rm", "-f", NETWORK, check=False)


@contextmanager
def running(podman: Podman, plan: Plan) -> Iterator[Cluster]:
    with tempfile.TemporaryDirectory(prefix="movies-pods-play-") as folder:
        manifest = Path(folder) / "pods.yaml"
        docs = [*plan.config_maps, *(w.playable for w in plan.workloads)]
        manifest.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        cluster = Cluster(podman, plan, manifest)
        cluster.prepare()
        try:
            yield cluster
        finally:
            cluster.remove()
