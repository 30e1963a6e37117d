"""The multi-step commands: each step is a function of another module; this one orders them."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from orchestrator import helm, images, vagrant
from orchestrator.errors import OrchestratorError, require_program
from orchestrator.kube import Kubectl
from orchestrator.runtime import Runtime


def create(rt: Runtime) -> None:
    # The chart, the tools and where the images come from are settled before minutes of
    # booting VMs.
    helm.chart_values(rt.settings)
    docker = check_prerequisites(rt)
    vagrant.up(rt.settings, rt.console)
    kubectl = _connect(rt)
    if docker is not None:
        side_load_images(rt, docker)
    deploy(rt, kubectl)


def check_prerequisites(rt: Runtime) -> Any:
    """Every tool `create` drives, all checked at once: one line names each that is
    missing and how to get it. Returns the Docker client (None: pushed images)."""
    problems = []
    for check in (
        partial(require_program, "vagrant"),
        partial(require_program, "VBoxManage"),
        rt.helm,
        rt.kubectl_binary,
    ):
        try:
            check()
        except OrchestratorError as exc:
            problems.append(exc.message)
    docker = None
    try:
        docker = docker_or_pushed_images(rt)
    except OrchestratorError as exc:
        problems.append(exc.message)
    if problems:
        raise OrchestratorError("; ".join(problems))
    return docker


def start(rt: Runtime) -> None:
    states = vagrant.states(rt.settings)
    absent = [name for name, state in states.items() if state == "not_created"]
    if absent:
        raise OrchestratorError(
            f"{', '.join(absent)} not created: run ./orchestrator.sh create first"
        )
    vagrant.up(rt.settings, rt.console, provision=False)
    kubectl = _connect(rt)
    rt.console.print("waiting for every workload to be ready")
    kubectl.wait_rollouts()


def stop(rt: Runtime) -> None:
    states = vagrant.states(rt.settings)
    if all(state == "not_created" for state in states.values()):
        raise OrchestratorError("no cluster to stop: run ./orchestrator.sh create first")
    vagrant.halt(rt.settings, rt.console)


def destroy(rt: Runtime) -> None:
    vagrant.destroy(rt.settings, rt.console)
    # A new cluster gets a new join token and a new kubeconfig.
    for stale in (rt.settings.kubeconfig, rt.settings.token_file):
        stale.unlink(missing_ok=True)


def _connect(rt: Runtime) -> Kubectl:
    """Fetch ./k3s.yaml from the master and wait until both nodes are Ready."""
    path = vagrant.fetch_kubeconfig(rt.settings)
    rt.console.print(
        f"kubeconfig written to {path.name} (server https://{rt.settings.master.ip}:6443)"
    )
    kubectl = rt.kubectl()
    rt.console.print("waiting for the nodes to be Ready")
    kubectl.wait_nodes_ready()
    return kubectl


def deploy(rt: Runtime, kubectl: Kubectl | None = None) -> None:
    """Install or upgrade the chart with the recorded images, then wait for every workload."""
    helm.chart_values(rt.settings)
    kubectl = kubectl or rt.kubectl()
    kubectl.ensure_reachable()
    require_images(rt)
    overrides = [yaml.safe_load(rt.settings.image_values.read_text()) or {}]
    kubectl.ensure_namespace()
    rt.console.print(
        f"helm upgrade --install {rt.settings.release} charts/movies "
        f"-n {rt.settings.namespace} -f values/vagrant.yaml "
        f"-f {rt.settings.image_values.relative_to(rt.settings.root)}"
    )
    with rt.console.status("installing the chart and waiting for it (helm --wait)"):
        helm.install_or_upgrade(rt.settings, rt.helm(), overrides)
    rt.console.print("waiting for every workload to be ready")
    for workload in kubectl.wait_rollouts():
        rt.console.print(f"  {workload.ref} ready")


def require_images(rt: Runtime) -> None:
    """Refuse, in one line, to install a chart whose images no node can get: the kubelet
    would pull movies/* from Docker Hub and helm --wait sit out its whole timeout."""
    plan = images.load_plan(rt.settings)
    if plan is None or not rt.settings.image_values.is_file():
        raise OrchestratorError(
            "no images built or loaded: run ./orchestrator.sh build then ./orchestrator.sh "
            "load (or build --push to a registry the nodes can reach)"
        )
    if not plan.pushable and images.loaded_tag(rt.settings) != plan.tag:
        raise OrchestratorError(
            f"images {plan.tag} were built but never loaded into the nodes: "
            "run ./orchestrator.sh load"
        )


def docker_or_pushed_images(rt: Runtime) -> Any:
    """A Docker client to build and side-load with; else None when the recorded images
    were pushed to a registry the nodes can pull from; else the error saying so."""
    try:
        return rt.docker()
    except OrchestratorError as exc:
        plan = images.load_plan(rt.settings)
        if plan is None or not plan.pushable:
            raise OrchestratorError(
                f"{exc.message}; without it, push the images from a machine with Docker "
                "(./orchestrator.sh build --push) and create from there"
            ) from exc
        first = plan.ref(images.APPS[0])
        rt.console.print(f"no Docker engine here: the nodes will pull {first} and the others")
        return None


def side_load_images(rt: Runtime, client: Any) -> None:
    """Load the recorded images into the nodes, building them first when they are not here."""
    plan = images.load_plan(rt.settings)
    if plan is None or images.missing_images(client, plan):
        plan = build(rt, client, images.plan_for(images.default_tag(), None, rt.env))
    load(rt, client, plan)


def build(
    rt: Runtime,
    client: Any,
    plan: images.ImagePlan,
    build_args: Mapping[str, str] | None = None,
) -> images.ImagePlan:
    images.build(client, rt.settings, plan, rt.console, build_args)
    values = helm.default_values(rt.settings) if plan.hub_user else {}
    record = images.save_plan(rt.settings, plan, values)
    rt.console.print(
        f"images tagged {plan.tag}; deploy uses {record.relative_to(rt.settings.root)}"
    )
    return plan


def load(rt: Runtime, client: Any, plan: images.ImagePlan) -> None:
    missing = images.missing_images(client, plan)
    if missing:
        raise OrchestratorError(
            f"{', '.join(missing)} not built here: run ./orchestrator.sh build first"
        )
    states = vagrant.states(rt.settings)
    down = [node.name for node in rt.settings.nodes if states.get(node.name) != vagrant.RUNNING]
    if down:
        raise OrchestratorError(f"{', '.join(down)} not running: run ./orchestrator.sh start")
    app_version = helm.app_version(rt.settings)
    with images.saved_images(client, plan) as archives:
        for node in rt.settings.nodes:
            for archive in archives:
                rt.console.print(f"importing {archive.stem}:{plan.tag} on {node.name}")
                vagrant.import_image(rt.settings, node, Path(archive))
            # Also under the chart's own name and appVersion: what `helm install ... -f
            # values/vagrant.yaml` renders with nothing else.
            for app in images.APPS:
                target = images.chart_ref(app, app_version)
                vagrant.tag_image(rt.settings, node, plan.ref(app), target)
    images.record_loaded(rt.settings, plan)
