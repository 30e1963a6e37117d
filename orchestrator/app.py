"""The `orchestrator` Click group: one small command per verb of the operator's CLI."""

from __future__ import annotations

import os
import sys

import click

from orchestrator import health as health_checks
from orchestrator import images, vagrant, workflows
from orchestrator import status as tables
from orchestrator.errors import OrchestratorError
from orchestrator.local import command as local_command
from orchestrator.local.config import SERVICES, LocalConfig
from orchestrator.runtime import Runtime

pass_runtime = click.make_pass_decorator(Runtime)
_PORTS = LocalConfig()


class InOrder(click.Group):
    """Lists its commands in the order they are declared, not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(
    cls=InOrder,
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": 100},
)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Run the movies services on this machine (`local`), or build, deploy and inspect them on
    a two-node K3s cluster of Vagrant VMs (every other command)."""
    if ctx.obj is None:
        ctx.obj = Runtime.from_environment()


def _local_config(rt: Runtime) -> LocalConfig:
    try:
        return LocalConfig.from_env(rt.env, rt.settings.root)
    except ValueError as exc:
        raise OrchestratorError(str(exc)) from None


# The ports come from the declared configuration, so the help cannot disagree with it.
_LOCAL_HELP = f"""Run the three services on this machine: gateway :{_PORTS.gateway_port}, \
inventory :{_PORTS.inventory_port}, billing :{_PORTS.billing_port}.

Runs them against the PostgreSQL and RabbitMQ of this machine (creating the databases when
missing) under supervisord until Ctrl-C, each service's JSON log lines in its own file under
.orchestrator/local/logs/. Where one of them is
installed but not running, it offers to start a private one (--private-servers starts it
without asking). From another terminal, `local stop SERVICE` and `local start SERVICE` stop and
start one of them while the others keep running, and `local status` shows them. One LOCAL_
variable per setting (LOCAL_GATEWAY_PORT, LOCAL_DB_HOST, ...) changes where things are."""


@cli.group(cls=InOrder, invoke_without_command=True, help=_LOCAL_HELP)
@click.option(
    "--private-servers",
    is_flag=True,
    help="Start a private PostgreSQL and RabbitMQ (kept in .orchestrator/servers/) where the "
    "machine's are installed but not running, without asking; they stop with `local`.",
)
@click.pass_context
def local(ctx: click.Context, private_servers: bool) -> None:
    if ctx.invoked_subcommand is not None:
        return
    rt = ctx.find_object(Runtime)
    assert rt is not None
    # Only someone at a terminal can answer the offer; anyone else gets the one-line error.
    ask = sys.stdin.isatty()
    code = local_command.run(_local_config(rt), rt.console, private=private_servers, ask=ask)
    if code != 0:
        raise OrchestratorError("every service stopped on its own; their logs say why")


@local.command("stop")
@click.argument("service", type=click.Choice(SERVICES))
@pass_runtime
def local_stop(rt: Runtime, service: str) -> None:
    """Stop one service of the running `local`; the others keep running."""
    local_command.stop(_local_config(rt), service, rt.console)


@local.command("start")
@click.argument("service", type=click.Choice(SERVICES))
@pass_runtime
def local_start(rt: Runtime, service: str) -> None:
    """Start a stopped service of the running `local` again and wait until it is ready."""
    local_command.start(_local_config(rt), service, rt.console)


@local.command("status")
@pass_runtime
def local_status(rt: Runtime) -> None:
    """Each service of the running `local`: running or stopped, pid, URL, metrics port, ready."""
    local_command.status(_local_config(rt), rt.console)


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


def _build_args(pairs: tuple[str, ...]) -> dict[str, str]:
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--build-arg")
    return dict(pair.split("=", 1) for pair in pairs)


@cli.command()
@click.argument("tag", required=False)
@click.option("--push", is_flag=True, help="Push the images after building them.")
@click.option("--registry", help="Registry prefix, e.g. ghcr.io/you (default: Docker Hub).")
@click.option(
    "--build-arg",
    "build_args",
    multiple=True,
    metavar="KEY=VALUE",
    callback=lambda _ctx, _param, pairs: _build_args(pairs),
    help="A build argument of services/Dockerfile, e.g. PYTHON_IMAGE=... (repeatable).",
)
@pass_runtime
def build(
    rt: Runtime, tag: str | None, push: bool, registry: str | None, build_args: dict[str, str]
) -> None:
    """Build the three images (default TAG: the date and time) and record the tag."""
    plan = images.plan_for(tag or images.default_tag(), registry, rt.env)
    client = rt.docker()
    workflows.build(rt, client, plan, build_args)
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
