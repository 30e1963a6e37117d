"""Recording stand-ins for vagrant, VBoxManage, kubectl, helm and the docker SDK.

The programs are real executables on PATH (a small Python script per name): each
appends its argv (and, when asked, its stdin) to a JSON-lines log and answers from
rules that the test sets, so the CLI under test runs unchanged down to subprocess.
"""

from __future__ import annotations

import inspect
import json
import os
import stat
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docker import APIClient
from docker.errors import ImageNotFound
from rich.console import Console

from orchestrator.runtime import Runtime
from orchestrator.settings import Settings

PROGRAMS = ("vagrant", "VBoxManage", "kubectl", "helm")

FAKE_PROGRAM = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    name = os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    rules = json.load(open(os.environ["FAKE_RULES"]))
    def matches(rule):
        if rule["program"] != name:
            return False
        rest = iter(args)
        return all(any(token == arg for arg in rest) for token in rule["match"])
    index = next((i for i, r in enumerate(rules) if matches(r)), None)
    rule = {{}} if index is None else rules[index]
    if rule.get("times"):  # answers this many calls, then gives way to later rules
        rule["times"] -= 1
        if rule["times"] == 0:
            rules.pop(index)
        json.dump(rules, open(os.environ["FAKE_RULES"], "w"))
    entry = {{"program": name, "argv": args}}
    if rule.get("read_stdin"):
        entry["stdin"] = sys.stdin.buffer.read().decode(errors="replace")
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write(json.dumps(entry) + "\\n")
    sys.stdout.write(rule.get("stdout", ""))
    sys.stderr.write(rule.get("stderr", ""))
    sys.exit(rule.get("exit", 0))
    """
)


@dataclass
class FakePrograms:
    """The bin folder, its rules, and what was run."""

    bin_dir: Path
    log: Path
    rules_file: Path
    rules: list[dict[str, Any]] = field(default_factory=list)

    def on(self, program: str, *match: str, stdout: str = "", stderr: str = "", exit: int = 0,
           read_stdin: bool = False, first: bool = False, times: int = 0) -> None:  # fmt: skip
        """Answer `program` when `match` occurs in its argv in this order (the earliest
        matching rule wins; `first` puts this one before those set already; `times` > 0
        retires the rule after that many answers)."""
        rule = {"program": program, "match": list(match), "stdout": stdout, "stderr": stderr,
                "exit": exit, "read_stdin": read_stdin, "times": times}  # fmt: skip
        self.rules = json.loads(self.rules_file.read_text())  # less the retired ones
        self.rules.insert(0 if first else len(self.rules), rule)
        self.rules_file.write_text(json.dumps(self.rules))

    def calls(self, program: str | None = None) -> list[list[str]]:
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [e["argv"] for e in entries if program is None or e["program"] == program]

    def entries(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def stdin_of(self, program: str, first_arg: str) -> list[str]:
        """What each `program first_arg ...` call read on stdin."""
        return [
            entry["stdin"]
            for entry in self.entries()
            if entry["program"] == program and entry["argv"][0] == first_arg
        ]

    def remove(self, program: str) -> None:
        (self.bin_dir / program).unlink()


def install_fakes(tmp_path: Path, monkeypatch: Any) -> FakePrograms:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for name in PROGRAMS:
        script = bin_dir / name
        script.write_text(FAKE_PROGRAM.format(python=sys.executable))
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    fakes = FakePrograms(bin_dir, tmp_path / "calls.jsonl", tmp_path / "rules.json")
    fakes.rules_file.write_text("[]")
    # Only the fakes: a real vagrant, kubectl or helm must never be reached.
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_LOG", str(fakes.log))
    monkeypatch.setenv("FAKE_RULES", str(fakes.rules_file))
    return fakes


# --- docker SDK -----------------------------------------------------------------


class FakeImages:
    def __init__(self, present: set[str]) -> None:
        self.present = present

    def get(self, ref: str) -> object:
        if ref not in self.present:
            raise ImageNotFound(f"No such image: {ref}")
        return object()


def same_call_as_the_sdk(method: str, *args: Any, **kwargs: Any) -> None:
    """Raise TypeError unless docker.APIClient.<method> accepts these arguments: the
    stand-in must not accept a call the real SDK would refuse."""
    inspect.signature(getattr(APIClient, method)).bind(None, *args, **kwargs)


class FakeDockerAPI:
    def __init__(self, engine: FakeDocker) -> None:
        self.engine = engine

    def build(self, **kwargs: Any) -> Any:
        same_call_as_the_sdk("build", **kwargs)
        self.engine.calls.append(("build", kwargs))
        if kwargs["target"] in self.engine.fail_targets:
            yield {"error": f"RUN pip install failed for {kwargs['target']}\n"}
            return
        yield {"stream": f"Step 1/9 : FROM python:3.11-slim-bookworm AS {kwargs['target']}\n"}
        self.engine.images.present.add(kwargs["tag"])

    def push(self, repository: str, **kwargs: Any) -> Any:
        same_call_as_the_sdk("push", repository, **kwargs)
        self.engine.calls.append(("push", {"repository": repository, **kwargs}))
        yield {"status": f"Pushing {repository}"}

    def get_image(self, ref: str) -> Any:
        same_call_as_the_sdk("get_image", ref)
        self.engine.calls.append(("save", {"image": ref}))
        yield f"tar of {ref}".encode()


class FakeDocker:
    """Stands in for docker.DockerClient: records build/push/save, tracks built images."""

    def __init__(self, present: set[str] | None = None, fail_targets: set[str] | None = None):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.images = FakeImages(set(present or ()))
        self.fail_targets = fail_targets or set()
        self.api = FakeDockerAPI(self)


# --- what a healthy cluster answers (kubectl get ... -o json) ----------------------

NODES = {
    "items": [
        {"metadata": {"name": name, "labels": labels},
         "status": {"conditions": [{"type": "Ready", "status": "True"}],
                    "addresses": [{"type": "InternalIP", "address": ip}],
                    "nodeInfo": {"kubeletVersion": "v1.33.3+k3s1"}}}
        for name, ip, labels in (
            ("k3s-master", "192.168.56.10", {"node-role.kubernetes.io/control-plane": "true"}),
            ("k3s-agent", "192.168.56.11", {}),
        )
    ]
}  # fmt: skip
WORKLOADS = {
    "items": [
        {"kind": "Deployment", "metadata": {"name": "api-gateway"},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api-gateway"}}},
         "status": {"readyReplicas": 2}},
        {"kind": "StatefulSet", "metadata": {"name": "billing-app"},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "billing-app",
                                                              "tier": "app"}}},
         "status": {}},
    ]
}  # fmt: skip
HPAS = {
    "items": [
        {"metadata": {"name": "api-gateway-hpa"},
         "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api-gateway"},
                  "minReplicas": 1, "maxReplicas": 3,
                  "metrics": [{"type": "Resource", "resource": {
                      "name": "cpu", "target": {"type": "Utilization",
                                                "averageUtilization": 60}}}]},
         "status": {"currentReplicas": 2, "currentMetrics": [{"type": "Resource", "resource": {
             "name": "cpu", "current": {"averageUtilization": 12}}}]}},
    ]
}  # fmt: skip


# --- a checkout to run in -------------------------------------------------------

CHART_YAML = "apiVersion: v2\nname: movies\nversion: 0.1.0\nappVersion: 0.1.0\n"
# The shape of the synthesized chart's values: the repositories are chart defaults,
# values/vagrant.yaml only adjusts the environment.
CHART_VALUES_YAML = textwrap.dedent(
    """\
    image:
      registry: ""
      tag: ""
      pullPolicy: IfNotPresent
    gateway:
      image:
        repository: movies/api-gateway
    inventory:
      image:
        repository: movies/inventory-app
    billing:
      image:
        repository: movies/billing-app
    """
)
VALUES_YAML = "gateway:\n  podAntiAffinityPreset: soft\n"


def make_checkout(root: Path) -> Path:
    """A minimal repository: Vagrantfile, chart and vagrant values (no real chart needed)."""
    (root / "orchestrator").mkdir(parents=True)
    (root / "Vagrantfile").write_text("# stand-in\n")
    (root / "charts" / "movies").mkdir(parents=True)
    (root / "charts" / "movies" / "Chart.yaml").write_text(CHART_YAML)
    (root / "charts" / "movies" / "values.yaml").write_text(CHART_VALUES_YAML)
    (root / "values").mkdir()
    (root / "values" / "vagrant.yaml").write_text(VALUES_YAML)
    return root


def runtime(root: Path, docker: FakeDocker | None = None, env: dict[str, str] | None = None,
            timeout: int = 900) -> Runtime:  # fmt: skip
    fake_docker = docker or FakeDocker()
    return Runtime(
        settings=Settings(root=root, timeout_seconds=timeout, poll_seconds=0),
        console=Console(width=200, force_terminal=False, color_system=None),
        env=env or {},
        docker=lambda: fake_docker,
        helm=lambda: Path(os.environ["PATH"].split(os.pathsep)[0]) / "helm",
        kubectl_binary=lambda: Path(os.environ["PATH"].split(os.pathsep)[0]) / "kubectl",
    )
