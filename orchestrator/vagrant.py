"""The two VMs, through python-vagrant: up, halt, destroy, states, and what runs inside."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import yaml
from rich.console import Console

from orchestrator.errors import OrchestratorError, require_program
from orchestrator.proc import run
from orchestrator.settings import Node, Settings

if TYPE_CHECKING:
    from vagrant import Vagrant

T = TypeVar("T")
RUNNING = "running"
KUBECONFIG_ON_MASTER = "/etc/rancher/k3s/k3s.yaml"


def open_vagrant(settings: Settings) -> Vagrant:
    """A python-vagrant handle on the repository's Vagrantfile, once both programs exist."""
    require_program("vagrant")
    require_program("VBoxManage")
    # python-vagrant warns at import when vagrant is missing; we checked above.
    logging.getLogger("vagrant").setLevel(logging.ERROR)
    from vagrant import Vagrant  # imported once vagrant is known to exist

    return Vagrant(root=str(settings.root), quiet_stdout=False, quiet_stderr=False)


def _echo(console: Console, lines: Iterable[str]) -> None:
    for line in lines:
        console.print(line.rstrip(), style="dim", markup=False, highlight=False, soft_wrap=True)


def up(settings: Settings, console: Console, *, provision: bool | None = None) -> None:
    """`vagrant up` each node in order (the agent joins the master, so master first)."""
    box = open_vagrant(settings)
    for node in settings.nodes:
        console.print(f"[bold]vagrant up {node.name}[/]")
        try:
            _echo(console, box.up(vm_name=node.name, provision=provision, stream_output=True))
        except subprocess.CalledProcessError as exc:
            raise OrchestratorError(
                f"vagrant up {node.name} failed (its log is above); fix that, then rerun"
            ) from exc


def halt(settings: Settings, console: Console) -> None:
    box = open_vagrant(settings)
    # Agent first: it keeps no state the master needs, and halting it first spares it
    # minutes of retrying a vanished server.
    for node in reversed(settings.nodes):
        console.print(f"[bold]vagrant halt {node.name}[/]")
        _checked(partial(box.halt, vm_name=node.name), f"vagrant halt {node.name}")


def destroy(settings: Settings, console: Console) -> None:
    box = open_vagrant(settings)
    for node in reversed(settings.nodes):
        console.print(f"[bold]vagrant destroy -f {node.name}[/]")
        _checked(partial(box.destroy, vm_name=node.name), f"vagrant destroy {node.name}")


def states(settings: Settings) -> dict[str, str]:
    """VM name -> Vagrant state (running, poweroff, not_created, ...)."""
    box = open_vagrant(settings)
    statuses = _checked(box.status, "vagrant status")
    return {status.name: status.state for status in statuses}


def ssh(settings: Settings, node: Node, command: str) -> str:
    box = open_vagrant(settings)
    return _checked(lambda: box.ssh(vm_name=node.name, command=command), f"vagrant ssh {node.name}")


def fetch_kubeconfig(settings: Settings) -> Path:
    """Copy the master's kubeconfig to ./k3s.yaml, pointing at the master's address."""
    text = ssh(settings, settings.master, f"sudo cat {KUBECONFIG_ON_MASTER}")
    if "https://127.0.0.1:6443" not in text:
        raise OrchestratorError(
            f"{settings.master.name} has no K3s kubeconfig yet; run `vagrant provision "
            f"{settings.master.name}` and retry"
        )
    text = text.replace("https://127.0.0.1:6443", f"https://{settings.master.ip}:6443")
    settings.kubeconfig.write_text(with_namespace(text, settings.namespace))
    settings.kubeconfig.chmod(0o600)
    return settings.kubeconfig


def with_namespace(kubeconfig: str, namespace: str) -> str:
    """The kubeconfig with `namespace` as every context's namespace, so that kubectl typed
    without -n shows the system."""
    config = yaml.safe_load(kubeconfig) or {}
    for context in config.get("contexts") or []:
        context.setdefault("context", {})["namespace"] = namespace
    return yaml.safe_dump(config, sort_keys=False)


def tag_image(settings: Settings, node: Node, source: str, target: str) -> None:
    ssh(settings, node, f"sudo k3s ctr -n k8s.io images tag --force {source} {target}")


def import_image(settings: Settings, node: Node, tarball: Path) -> None:
    """Side-load an image archive into the node's containerd (the k8s.io namespace)."""
    vagrant_bin = require_program("vagrant")
    with tarball.open("rb") as archive:
        run(
            [vagrant_bin, "ssh", node.name, "-c", "sudo k3s ctr -n k8s.io images import -"],
            what=f"importing {tarball.name} on {node.name}",
            fix=f"check that {node.name} is running (./orchestrator.sh status)",
            stdin=archive,
            cwd=settings.root,
        )


def _checked(call: Callable[[], T], what: str) -> T:
    try:
        return call()
    except subprocess.CalledProcessError as exc:
        raise OrchestratorError(
            f"{what} failed (exit {exc.returncode}); see vagrant's message above"
        ) from exc
