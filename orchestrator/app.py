"""The `orchestrator` Click group: one small command per verb of the operator's CLI."""

from __future__ import annotations

import os
import sys

import click

from orchestrator import health as health_checks
from orchestrator import images, vagrant, workflows
from orchestrator import status as tables
from orchestrator.errors import OrchestratorError
from orchestrator.local import supervisor as local_run
from orchestrator.runtime import Runtime

pass_runtime = click.make_pass_decorator(Runtime)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Build, run and inspect the movies system on a two-node K3s cluster (Vagrant)."""
    if ctx.obj is None:
        ctx.obj = Runtime.from_environment()


@cli.command()
@pass_runtime
def synth(rt: Runtime) -> None:
    """Synthesize charts/movies and values/*.yaml (= python -m generator synth)."""
    from generator.__main__ import main as generator_main

    code = generator_main(["synth", "--root", str(rt.settings.root)])
    if code != 0:
        raise OrchestratorError("synthesis failed; the line above says why")


@cli.command()
@pass_runtime
def create(rt: Runtime) -> None:
    """Bring up both VMs, install the chart, wait for every workload."""
    workflows.create(rt)
    rt.console.print(f"gateway: {rt.settings.gateway_url}")
    click.echo("cluster created")


@cli.command()
@pass_runtime
def start(rt: Runtime) -> None:
    """Boot the halted VMs and wait until the system is ready again."""
    workflows.start(rt)
    click.echo("cluster started")


@cli.command()
@pass_runtime
def stop(rt: Runtime) -> None:
    """Halt both VMs; their disks, and so the databases, are kept."""
    workflows.stop(rt)
    click.echo("cluster stopped")


@cli.command()
@click.confirmation_option(prompt="Delete both VMs and all their data?")
@pass_runtime
def destroy(rt: Runtime) -> None:
    """Delete both VMs, the kubeconfig and the join token."""
    workflows.destroy(rt)
    click.echo("cluster destroyed")


@cli.command()
@pass_runtime
def status(rt: Runtime) -> None:
    """Tables of the VMs, nodes, workloads and HPAs, and the gateway's URL."""
    try:
        rt.console.print(tables.vm_table(vagrant.states(rt.settings)))
    except OrchestratorError as exc:
        rt.console.print(f"VMs: unknown ({exc.message})", soft_wrap=True)
    kubectl = rt.kubectl()
    kubectl.ensure_reachable()
    rt.console.print(tables.node_table(kubectl.nodes()))
    rt.console.print(tables.workload_table(kubectl.workloads()))
    rt.console.print(tables.hpa_table(kubectl.hpas()))
    rt.console.print(f"gateway: {rt.settings.gateway_url}")


@cli.command()
@pass_runtime
def deploy(rt: Runtime) -> None:
    """helm upgrade --install the chart into the running cluster and wait for it."""
    workflows.deploy(rt)
    click.echo(f"deployed {rt.settings.release} to {rt.settings.namespace}")


@cli.command()
@click.argument("tag", required=False)
@click.option("--push", is_flag=True, help="Push the images after building them.")
@click.option("--registry", help="Registry prefix, e.g. ghcr.io/you (default: Docker Hub).")
@pass_runtime
def build(rt: Runtime, tag: str | None, push: bool, registry: str | None) -> None:
    """Build the three images (default TAG: the date and time) and record the tag."""
    plan = images.plan_for(tag or images.default_tag(), registry, rt.env)
    client = rt.docker()
    workflows.build(rt, client, plan)
    if push:
        images.push(client, plan, rt.console)
        click.echo(f"pushed {plan.tag}")


@cli.command()
@pass_runtime
def load(rt: Runtime) -> None:
    """Side-load the built images into both nodes: no registry needed."""
    plan = images.load_plan(rt.settings)
    if plan is None:
        raise OrchestratorError("no images built yet: run ./orchestrator.sh build first")
    workflows.load(rt, rt.docker(), plan)
    click.echo(f"images {plan.tag} loaded into {', '.join(n.name for n in rt.settings.nodes)}")


@cli.command()
@click.argument("service")
@click.option("-f", "--follow", is_flag=True, help="Keep streaming new lines.")
@click.option("--tail", default=100, show_default=True, help="Lines per container to start with.")
@pass_runtime
def logs(rt: Runtime, service: str, follow: bool, tail: int) -> None:
    """Logs of every pod of SERVICE (gateway, inventory, billing, or a workload name)."""
    kubectl = rt.kubectl()
    kubectl.ensure_reachable()
    code = kubectl.stream_logs(kubectl.workload(service), follow=follow, tail=tail)
    if code != 0:
        raise OrchestratorError(f"kubectl logs exited with {code}")


@cli.command()
@pass_runtime
def health(rt: Runtime) -> None:
    """GET /readyz of every service through the cluster; says which one fails."""
    kubectl = rt.kubectl()
    kubectl.ensure_reachable()
    probes = health_checks.probe_all(kubectl)
    for probe in probes:
        mark = "[green]ready[/]" if probe.ok else "[red]NOT READY[/]"
        rt.console.print(f"{probe.service}: {mark} {probe.detail}", highlight=False)
    failed = [probe.service for probe in probes if not probe.ok]
    if failed:
        raise OrchestratorError(f"not ready: {', '.join(failed)} (see its logs with `logs`)")
    click.echo("all services ready")


@cli.command()
@pass_runtime
def local(rt: Runtime) -> None:
    """Run the three services here against local PostgreSQL and RabbitMQ (Ctrl-C stops)."""
    config = local_run.config_from_env(rt.env)
    created = local_run.ensure_databases(config, ["inventory", "billing"])
    for name in created:
        rt.console.print(f"created database {name}")
    rt.console.print("gateway http://127.0.0.1:3000, inventory :8080, billing :8081")
    code = local_run.supervise(local_run.services(config), rt.console, rt.env)
    if code != 0:
        raise OrchestratorError("a service stopped on its own; its last lines are above")


def main() -> None:
    """Console-script entry: Click reports our errors; anything else is still one line."""
    try:
        cli.main(prog_name="orchestrator")
    except Exception as exc:
        if os.environ.get("ORCHESTRATOR_DEBUG"):
            raise
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} "
            "(ORCHESTRATOR_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(1)
