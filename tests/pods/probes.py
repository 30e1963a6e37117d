"""Readiness and liveness probes run as the kubelet runs them: podman 4.3 runs none without
systemd, so the harness does it (exec in the container; httpGet and tcpSocket from inside
the pod's network namespace, as the kubelet reaches the pod and never through the host)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.pods.convert import Workload
from tests.pods.podman import Podman

KINDS = ("readinessProbe", "livenessProbe")
# Run with this interpreter inside the pod's network namespace: exit 0 when the kubelet
# would count the answer as a success (HTTP 200-399, or a TCP connection).
_HTTP = """import sys, urllib.error, urllib.request
try:
    status = urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).status
except urllib.error.HTTPError as exc:
    status = exc.code
print(status)
sys.exit(0 if 200 <= status < 400 else 1)
"""
_TCP = """import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), float(sys.argv[2]))
"""


# eq=False: each probe is its own key in the schedule (it holds unhashable specs).
@dataclass(frozen=True, eq=False)
class Probe:
    pod: str
    container: str
    kind: str
    spec: Mapping[str, Any]
    ports: Mapping[str, int]

    @property
    def podman_name(self) -> str:
        # kube play names each container <pod>-<container>.
        return f"{self.pod}-{self.container}"

    @property
    def label(self) -> str:
        return f"{self.pod}/{self.container} {self.kind.removesuffix('Probe')}: {self.describe()}"

    def describe(self) -> str:
        if "exec" in self.spec:
            return " ".join(self.spec["exec"]["command"])
        if "httpGet" in self.spec:
            return f"GET :{self.port('httpGet')}{self.spec['httpGet'].get('path', '/')}"
        return f"tcp :{self.port('tcpSocket')}"

    def port(self, handler: str) -> int:
        port = self.spec[handler]["port"]
        return int(self.ports[port]) if isinstance(port, str) else int(port)

    def seconds(self, field: str, default: int) -> int:
        return int(self.spec.get(field, default))


def probes_of(workloads: Iterable[Workload], kinds: tuple[str, ...] = KINDS) -> list[Probe]:
    """Every probe the chart declares, as rendered (named ports resolved from the spec)."""
    found = []
    for workload in workloads:
        for container in workload.rendered["spec"]["containers"]:
            ports = {
                p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p
            }
            found += [
                Probe(workload.name, container["name"], kind, container[kind], ports)
                for kind in kinds
                if kind in container
            ]
    return found


def run(podman: Podman, probe: Probe) -> tuple[bool, str]:
    """One attempt within the probe's timeoutSeconds: (success, what it answered)."""
    timeout = probe.seconds("timeoutSeconds", 1)
    try:
        if "exec" in probe.spec:
            done = podman.exec(probe.podman_name, *probe.spec["exec"]["command"], timeout=timeout)
        else:
            done = _in_pod_network(podman, probe, timeout)
    except Exception as exc:  # a timeout or a vanished container is a failed probe
        return False, str(exc)
    answer = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode == 0, answer[-1] if answer else f"exit {done.returncode}"


def _in_pod_network(podman: Podman, probe: Probe, timeout: int) -> subprocess.CompletedProcess[str]:
    pid = podman.run("inspect", "--format", "{{.State.Pid}}", probe.podman_name).stdout.strip()
    if "httpGet" in probe.spec:
        url = f"http://127.0.0.1:{probe.port('httpGet')}{probe.spec['httpGet'].get('path', '/')}"
        script, args = _HTTP, [url, str(timeout)]
    else:
        script, args = _TCP, [str(probe.port("tcpSocket")), str(timeout)]
    return subprocess.run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-c", script, *args],
        capture_output=True, text=True, timeout=timeout + 5, check=False,
    )  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    ok: bool
    answer: str
    after: float


def wait_ready(podman: Podman, probes: list[Probe], started: float, limit: float) -> list[Outcome]:
    """Each readiness probe first after its initialDelaySeconds, then every periodSeconds,
    until it succeeds or `limit` seconds have passed since `started`."""
    due = {p: started + p.seconds("initialDelaySeconds", 0) for p in probes}
    last: dict[Probe, tuple[bool, str]] = {}
    done: list[Outcome] = []
    while due and time.monotonic() < started + limit:
        probe = min(due, key=due.__getitem__)
        if due[probe] > started + limit:
            break
        time.sleep(max(0.0, due[probe] - time.monotonic()))
        ok, answer = run(podman, probe)
        last[probe] = (ok, answer)
        if ok:
            done.append(Outcome(probe, True, answer, time.monotonic() - started))
            del due[probe]
        else:
            due[probe] += probe.seconds("periodSeconds", 10)
    for probe in due:
        ok, answer = last.get(probe, (False, "never probed"))
        done.append(Outcome(probe, False, answer, time.monotonic() - started))
    return done
