"""`local`: supervisord with stand-in processes, the one-line preflight errors, and the real
`python -m orchestrator local` controlled from another terminal (`local stop|start|status`).

Every run here is on free ports, per-run databases, a per-run queue and vhost and its own
state folder: never the user's 3000/8080/8081, `inventory`, `billing` or `billing_queue`,
so the suite passes while the user's own `./orchestrator.sh local` runs."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console

from faults.misbehaving import refused_port
from faults.vhost import Vhost
from orchestrator.errors import OrchestratorError
from orchestrator.kube import Kubectl
from orchestrator.local import command, preflight
from orchestrator.local.config import LocalConfig, programs
from orchestrator.local.control import Control
from orchestrator.local.programs import Program, render
from orchestrator.local.supervised import Supervised
from orchestrator.settings import Settings
from tests.e2e import audit
from tests.e2e.audit import call, expect
from tests.harness.backends import Database, check_reachable, unique
from tests.harness.process import free_port, probe
from tests.support.tools import REPO as REPO_ROOT
from tests.support.tools import on_path

from .cli_fakes import install_fakes, make_checkout
from .test_cli_flags import unknown_flags


@pytest.fixture(scope="module", autouse=True)
def _real_servers():
    problem = check_reachable()
    if problem:
        pytest.fail(problem, pytrace=False)


def distinct_free_ports(count):
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def free_service_ports():
    """LOCAL_<SERVICE>_PORT and LOCAL_<SERVICE>_METRICS_PORT, never the user's own."""
    ports = iter(distinct_free_ports(6))
    return {
        f"LOCAL_{service.upper()}_{kind}": str(next(ports))
        for service in ("gateway", "inventory", "billing")
        for kind in ("PORT", "METRICS_PORT")
    }


@pytest.fixture(scope="module")
def vhost():
    made = Vhost.create()
    yield made
    made.delete()


@pytest.fixture
def isolated(tmp_path, vhost):
    """The LOCAL_ variables of a `local` of its own; its databases and queue go afterwards."""
    env = {
        **free_service_ports(),
        "LOCAL_INVENTORY_DB": unique("local_inventory"),
        "LOCAL_BILLING_DB": unique("local_billing"),
        "LOCAL_BILLING_QUEUE": unique("billing_queue"),
        "LOCAL_RABBITMQ_VHOST": vhost.name,
        "LOCAL_STATE_DIR": str(tmp_path / "state"),
    }
    yield env
    Database(env["LOCAL_INVENTORY_DB"]).drop()
    Database(env["LOCAL_BILLING_DB"]).drop()
    with vhost.connect() as conn:
        conn.default_channel.queue_delete(queue=env["LOCAL_BILLING_QUEUE"])


def orchestrator(env, *args, timeout=120):
    """No terminal on its input: `local` offers nothing, it says what is wrong."""
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args], cwd=REPO_ROOT, env={**os.environ, **env},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def wait_ready(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe(url)[0] == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready within {seconds}s")


@contextmanager
def running_local(env, log_path):
    """`python -m orchestrator local` until the block ends, then SIGTERM."""
    config = LocalConfig.from_env(env, REPO_ROOT)
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "local"], cwd=REPO_ROOT,
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        for name in ("inventory", "billing", "gateway"):
            wait_ready(f"{config.url(name)}/readyz")
        yield proc, config
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def only_line(result):
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


# --- the declared configuration


def test_the_defaults_are_the_documented_ports_databases_and_queue(tmp_path):
    config = LocalConfig.from_env({}, tmp_path)
    assert (config.gateway_port, config.inventory_port, config.billing_port) == (3000, 8080, 8081)
    metrics = (config.gateway_metrics_port, config.inventory_metrics_port)
    assert (*metrics, config.billing_metrics_port) == (9101, 9102, 9103)
    assert (config.inventory_db, config.billing_db) == ("inventory", "billing")
    assert config.billing_queue == "billing_queue"
    assert config.rabbitmq_vhost == "/"
    assert config.state_dir == tmp_path / ".orchestrator" / "local"
    assert config.servers_dir == tmp_path / ".orchestrator" / "servers"


def test_each_setting_has_its_local_variable(tmp_path):
    config = LocalConfig.from_env(
        {"LOCAL_BILLING_PORT": "9001", "LOCAL_BILLING_DB": "b2", "LOCAL_STATE_DIR": "/x"}, tmp_path
    )
    assert (config.billing_port, config.billing_db, str(config.state_dir)) == (9001, "b2", "/x")
    with pytest.raises(ValueError, match="LOCAL_GATEWAY_PORT must be a whole number"):
        LocalConfig.from_env({"LOCAL_GATEWAY_PORT": "abc"}, tmp_path)


def test_the_services_get_the_contract_environment(tmp_path):
    procs = {proc.name: proc for proc in programs(LocalConfig(state_dir=tmp_path))}
    gateway, inventory, billing = procs["gateway"], procs["inventory"], procs["billing"]
    ports = {name: (proc.env["PORT"], proc.env["METRICS_PORT"]) for name, proc in procs.items()}
    assert ports == {
        "gateway": ("3000", "9101"), "inventory": ("8080", "9102"), "billing": ("8081", "9103")
    }  # fmt: skip
    assert gateway.env == {
        "INVENTORY_URL": "http://127.0.0.1:8080", "RABBITMQ_HOST": "127.0.0.1",
        "RABBITMQ_PORT": "5672", "RABBITMQ_VHOST": "/", "RABBITMQ_USER": "guest",
        "RABBITMQ_PASSWORD": "guest", "BILLING_QUEUE": "billing_queue", "HOST": "127.0.0.1",
        "PORT": "3000", "METRICS_PORT": "9101", "PYTHONPATH": str(REPO_ROOT),
    }  # fmt: skip
    assert inventory.env["INVENTORY_DB_NAME"] == "inventory"
    assert inventory.env["INVENTORY_DB_HOST"] == "127.0.0.1"
    assert billing.env["BILLING_DB_NAME"] == "billing"
    assert billing.env["BILLING_QUEUE"] == "billing_queue"
    assert [proc.priority for proc in procs.values()] == [100, 101, 102]  # in start order
    assert billing.log == tmp_path / "logs" / "billing.log"  # written by supervisord


def test_the_configuration_file_keeps_every_value_as_it_is(tmp_path):
    """supervisord expands %(...)s in its values and splits `environment` with shlex."""
    odd = Program("odd", ("echo", "a b", "100%"), {"PASSWORD": "p%w,x=y'z"}, tmp_path / "o.log", 1)
    text = render([odd], socket=tmp_path / "s.sock", state_dir=tmp_path)
    assert "command = echo 'a b' 100%%\n" in text
    assert 'environment = PASSWORD="p%%w,x=y\'z"' in text
    with pytest.raises(OrchestratorError, match="cannot hold a double quote"):
        render([Program("q", ("true",), {"A": 'say "hi"'}, tmp_path / "q.log", 1)],
               socket=tmp_path / "s.sock", state_dir=tmp_path)  # fmt: skip


def test_a_program_sees_exactly_the_environment_and_arguments_given(tmp_path):
    script = "import json, os, sys; print(json.dumps([sys.argv[1:], os.environ['PASSWORD']]))"
    log = tmp_path / "logs" / "echo.log"
    echo = Program("echo", (sys.executable, "-c", script, "a b", "100%"),
                   {"PASSWORD": "p%w,x=y'z"}, log, 1)  # fmt: skip
    with Supervised(tmp_path / "state", [echo], recording_console()) as supervised:
        supervised.start("echo")
        eventually(lambda: log.exists() and log.read_text().strip())
    assert json.loads(log.read_text()) == [["a b", "100%"], "p%w,x=y'z"]


# --- supervisord, with stand-ins that record how they were stopped

STAND_IN = """
import json, pathlib, signal, sys, time
name, marker, lifetime = sys.argv[1], pathlib.Path(sys.argv[2]), float(sys.argv[3])
def stop(*_):
    marker.write_text("SIGTERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print(json.dumps({"service": name, "msg": "started"}), flush=True)
time.sleep(lifetime)
sys.exit(3)
"""


def recording_console():
    return Console(record=True, width=300, force_terminal=False, file=io.StringIO())


class Watched:
    """Stand-ins under a real supervisord, started, and watched on a thread as `local` does;
    `control` is what `local stop|start|status` in another terminal uses."""

    def __init__(self, tmp_path, lifetimes):
        self.tmp_path, self.names = tmp_path, list(lifetimes)
        (tmp_path / "stand_in.py").write_text(STAND_IN)
        self.console = recording_console()
        stand_ins = [
            Program(name, self.command(name, life), {}, self.log(name), 100 + order)
            for order, (name, life) in enumerate(lifetimes.items())
        ]
        self.supervised = Supervised(tmp_path / "state", stand_ins, self.console).__enter__()
        self.control = Control(tmp_path / "state")
        for name in self.names:
            self.supervised.start(name)
        self.stop = threading.Event()
        self.code: list[int] = []
        watch = lambda: self.code.append(self.supervised.watch(self.stop, self.names))  # noqa: E731
        self.thread = threading.Thread(target=watch)
        self.thread.start()

    def command(self, name, lifetime):
        script = str(self.tmp_path / "stand_in.py")
        return (sys.executable, script, name, str(self.tmp_path / name), str(lifetime))

    def log(self, name):
        return self.tmp_path / "state" / "logs" / f"{name}.log"

    def started(self, count):
        """Waits until `count` stand-ins have printed their first line (their handlers are set)."""

        def lines():
            logs = [self.log(name) for name in self.names]
            return sum(log.read_text().count('"started"') for log in logs if log.exists())

        eventually(lambda: lines() == count)

    def said(self):
        return self.console.export_text(clear=False)

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=60)
        try:
            command.stop_services(self.supervised, self.console, self.names)
        finally:
            self.supervised.__exit__(None, None, None)
        return self.code[0], self.console.export_text()


@pytest.fixture
def watched(tmp_path):
    """Makes a Watched; supervisord and the stand-ins end with the test, whatever it shows."""
    made: list[Watched] = []
    yield lambda lifetimes: made.append(Watched(tmp_path, lifetimes)) or made[-1]
    for run in made:
        run.stop.set()
        run.supervised.__exit__(None, None, None)


def eventually(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_stop_request_stops_every_service_with_sigterm(tmp_path, watched):
    run = watched({"inventory": 60, "billing": 60, "gateway": 60})
    run.started(3)
    code, output = run.finish()

    assert code == 0
    for name in ("inventory", "billing", "gateway"):
        assert json.loads(run.log(name).read_text()) == {"service": name, "msg": "started"}
        assert (tmp_path / name).read_text() == "SIGTERM"
    assert output.splitlines()[-1] == "stopping the services"
    assert not Control(tmp_path / "state").answers()  # supervisord is gone too


def test_one_service_stopped_on_request_leaves_the_others_running(tmp_path, watched):
    run = watched({"billing": 60, "gateway": 60})
    run.started(2)
    config = LocalConfig(state_dir=tmp_path / "state")
    other_terminal = recording_console()
    command.stop(config, "billing", other_terminal)
    assert other_terminal.export_text() == "billing stopped (exit code 0)\n"
    eventually(lambda: "billing stopped on request (exit code 0)" in run.said())
    assert (tmp_path / "billing").read_text() == "SIGTERM"
    states = run.control.processes()
    assert states["billing"]["statename"] == "STOPPED"
    assert states["billing"]["pid"] == 0
    assert states["gateway"]["statename"] == "RUNNING"
    command.stop(config, "billing", other_terminal)
    assert other_terminal.export_text() == "billing is not running (stopped on request)\n"
    pid = run.control.start("billing")["pid"]
    assert run.control.info("billing")["statename"] == "RUNNING"
    run.started(3)
    eventually(lambda: f"billing started on request (pid {pid})" in run.said())
    with pytest.raises(OrchestratorError, match="BAD_NAME: nobody"):
        run.control.start("nobody")
    code, output = run.finish()

    assert code == 0
    assert "billing stopped on request (exit code 0)" in output
    assert "without being asked" not in output


def test_a_service_dying_is_reported_and_the_others_keep_running(tmp_path, watched):
    run = watched({"inventory": 1, "gateway": 60})
    eventually(lambda: "inventory exited" in run.said())
    assert run.control.info("gateway")["statename"] == "RUNNING"
    code, output = run.finish()

    assert code == 0
    assert (
        "inventory exited with code 3 without being asked to; the others keep running; "
        "`./orchestrator.sh local start inventory` starts it again"
    ) in output
    assert (tmp_path / "gateway").read_text() == "SIGTERM"


def test_every_service_dying_ends_the_run_with_exit_1(tmp_path, watched):
    run = watched({"inventory": 0.5, "gateway": 0.5})
    run.thread.join(timeout=30)
    assert run.code == [1]
    _, output = run.finish()
    assert "every service has stopped on its own" in output
    assert "stopping the services" not in output  # nothing was left to stop


# --- one line, exit 1, for each thing that stops `local` from starting


@pytest.mark.parametrize(
    ("variable", "user"),
    [("LOCAL_BILLING_PORT", "billing"), ("LOCAL_INVENTORY_METRICS_PORT", "inventory metrics")],
)
def test_a_taken_port_names_its_holder(isolated, variable, user):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = orchestrator({**isolated, variable: str(port)}, "local")
    assert result.returncode == 1
    line = only_line(result)
    assert line.startswith(f"Error: port {port} ({user}) is taken by pid {os.getpid()} (python")
    assert line.endswith(f"run `local` with {variable} set to a free port")


def test_two_settings_never_share_a_port(isolated):
    same = isolated["LOCAL_GATEWAY_PORT"]
    shared = orchestrator({**isolated, "LOCAL_BILLING_METRICS_PORT": same}, "local")
    assert shared.returncode == 1
    assert only_line(shared) == (
        f"Error: LOCAL_GATEWAY_PORT and LOCAL_BILLING_METRICS_PORT are both {same}: one each"
    )


@pytest.mark.parametrize(
    ("variable", "start", "fix"),
    [
        ("LOCAL_RABBITMQ_PORT", "RabbitMQ does not answer at 127.0.0.1:{port}", "rabbitmq-server"),
        ("LOCAL_DB_PORT", "PostgreSQL does not answer at 127.0.0.1:{port} as postgres", "LOCAL_DB"),
    ],
)
def test_a_server_not_answering_is_one_line_with_the_fix(isolated, variable, start, fix):
    port = refused_port()
    result = orchestrator({**isolated, variable: str(port)}, "local")
    assert result.returncode == 1
    line = only_line(result)
    assert line.startswith("Error: " + start.format(port=port))
    assert fix in line
    # Both are installed here: the line offers a private one first (no sudo needed).
    assert "`./orchestrator.sh local --private-servers` starts a private one in " in line


def _hang_up(listener: socket.socket) -> None:
    """Accepts each connection and closes it at once, until the listener is closed."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.close()


@pytest.mark.parametrize(
    ("variable", "start"),
    [
        ("LOCAL_RABBITMQ_PORT", "RabbitMQ does not answer at 127.0.0.1:{port}"),
        ("LOCAL_DB_PORT", "PostgreSQL does not answer at 127.0.0.1:{port} as postgres"),
    ],
)
def test_a_port_held_by_another_program_names_it(isolated, variable, start):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        threading.Thread(target=_hang_up, args=(holder,), daemon=True).start()
        result = orchestrator({**isolated, variable: str(port)}, "local")
    assert result.returncode == 1
    line = only_line(result)
    assert line.startswith("Error: " + start.format(port=port))
    assert f"; port {port} is held by pid {os.getpid()} (python" in line
    assert "--private-servers" not in line  # something answers there: nothing to stand in for


def test_the_hints_name_a_command_that_exists_here():
    quiet = refused_port()
    config = LocalConfig(db_port=quiet, rabbitmq_port=quiet)
    assert "pg_ctlcluster" in preflight.postgres_hint(config)
    assert "rabbitmq-server -detached" in preflight.rabbitmq_hint(config)
    assert "--private-servers" in preflight.postgres_hint(config)
    remote = LocalConfig(db_host="db.invalid", rabbitmq_host="mq.invalid")
    assert "--private-servers" not in preflight.postgres_hint(remote)
    assert "--private-servers" not in preflight.rabbitmq_hint(remote)


def test_control_commands_without_a_running_local_say_how_to_start_one(isolated):
    result = orchestrator(isolated, "local", "status")
    assert result.returncode == 1
    assert only_line(result) == (
        "Error: no `local` is running from this checkout: start it with "
        "`./orchestrator.sh local` in another terminal"
    )


# --- the real services


def test_local_runs_the_real_services_and_stops_them_on_sigterm(isolated, tmp_path):
    log = tmp_path / "local.log"
    with running_local(isolated, log) as (proc, config):
        base = config.url("gateway")
        marker = f"local {unique('m')}"
        movie = expect(call(base, "POST", "/api/movies", {"title": marker, "description": "x"}))
        assert expect(call(base, "GET", f"/api/movies/{movie['id']}"))["title"] == marker
        assert Database(config.inventory_db).scalar("SELECT count(*) FROM movies") == 1

        second = orchestrator(isolated, "local")
        assert second.returncode == 1
        assert only_line(second).startswith("Error: `local` is already running from this checkout")

    lines = log.read_text().splitlines()
    assert proc.returncode == 0, lines
    assert lines[-1] == "stopping the services"
    assert f"their logs in {config.state_dir / 'logs'}" in lines[-2]
    assert not [line for line in lines if line.startswith("{")]  # no service line relayed
    for name in ("gateway", "inventory", "billing"):
        logged = config.log(name).read_text().splitlines()
        assert logged
        assert all(json.loads(entry) for entry in logged)  # each log line is JSON
    assert not Control(config.state_dir).answers()  # supervisord ended with `local`


def orders(config, user_id):
    return Database(config.billing_db).scalar(
        "SELECT count(*) FROM orders WHERE user_id = :u", u=user_id
    )


def test_the_audit_billing_flow_with_local_stop_and_start(isolated, tmp_path):
    """Stop billing, order, start billing again: the order is stored once it is back."""
    vhost = Vhost(isolated["LOCAL_RABBITMQ_VHOST"])
    order = {"user_id": "20", "number_of_items": "99", "total_amount": "250"}
    with running_local(isolated, tmp_path / "local.log") as (_, config):
        stopped = orchestrator(isolated, "local", "stop", "billing")
        assert stopped.stdout == "billing stopped (exit code 0)\n"
        status = orchestrator(isolated, "local", "status").stdout
        assert "stopped on request" in status
        rows = {line.split()[0]: line for line in status.splitlines() if line.strip()}
        assert f":{config.metrics_port('billing')} " in rows["billing"]
        assert f":{config.metrics_port('gateway')} " in rows["gateway"]
        gateway = Control(config.state_dir).info("gateway")["pid"]
        environ = Path(f"/proc/{gateway}/environ").read_bytes().split(b"\0")
        assert f"METRICS_PORT={config.metrics_port('gateway')}".encode() in environ
        assert probe(f"{config.url('billing')}/healthz")[0] is None

        assert expect(call(config.url("gateway"), "POST", "/api/billing", order))
        time.sleep(1)
        assert vhost.depth(config.billing_queue) == 1
        assert orders(config, 20) == 0

        started = orchestrator(isolated, "local", "start", "billing")
        assert started.returncode == 0, started.stderr
        assert f"billing ready at {config.url('billing')}" in started.stdout
        eventually(lambda: orders(config, 20) == 1, seconds=30)
        assert expect(call(config.url("gateway"), "GET", "/api/movies")) == []

        # Billing dying on its own (here: SIGTERM from outside) is reported, not fatal.
        pid = Control(config.state_dir).info("billing")["pid"]
        assert f" {pid} " in orchestrator(isolated, "local", "status").stdout
        os.kill(pid, signal.SIGTERM)
        eventually(lambda: "billing exited with code 0" in (tmp_path / "local.log").read_text())
        assert probe(f"{config.url('gateway')}/readyz")[0] == 200


def test_the_audit_scenario_against_local_services_and_a_recording_kubectl(
    isolated, tmp_path, monkeypatch
):
    """The e2e audit's HTTP half for real (on 127.0.0.1, never the cluster's address),
    its kubectl half recorded: scale, wait, rollout, and the psql count in billing-db-0."""
    real_kubectl = str(on_path("kubectl"))  # located before the stand-ins take over PATH
    fakes = install_fakes(tmp_path, monkeypatch)
    workloads = {
        "items": [
            {
                "kind": "StatefulSet",
                "metadata": {"name": "billing-app"},
                "spec": {"selector": {"matchLabels": {"app": "billing-app"}}},
            }
        ]
    }
    fakes.on("kubectl", "get", "deployments,statefulsets", stdout=json.dumps(workloads))
    fakes.on("kubectl", "exec", stdout="2\n")
    settings = Settings(root=make_checkout(tmp_path / "repo"))
    kubectl = Kubectl(fakes.bin_dir / "kubectl", settings)
    console = Console(record=True, width=200, force_terminal=False)

    with running_local(isolated, tmp_path / "local.log") as (_, config):
        scenario = audit.Scenario(config.url("gateway"), kubectl, user_id=777001)
        passed = audit.run(scenario, console)
        eventually(lambda: orders(config, 777001) == 2, seconds=30)  # the run's own database

    assert passed, console.export_text()
    ns = ["--kubeconfig", str(settings.kubeconfig), "--namespace", "microservices"]
    calls = fakes.calls("kubectl")
    assert calls[0] == [*ns, "scale", "statefulset/billing-app", "--replicas=0"]
    assert calls[2] == [*ns, "wait", "--for=delete", "pod", "--selector", "app=billing-app",
                        "--timeout=180s"]  # fmt: skip
    assert calls[3] == [*ns, "scale", "statefulset/billing-app", "--replicas=1"]
    assert calls[4] == [*ns, "rollout", "status", "statefulset/billing-app", "--timeout=300s"]
    assert calls[5][:7] == [*ns, "exec", "billing-db-0", "--"]
    assert "SELECT count(*) FROM orders WHERE user_id::text = '777001'" in calls[5][-1]
    assert console.export_text().count("PASS") == 6
    assert [unknown_flags(real_kubectl, argv) for argv in calls] == [[] for _ in calls]


def test_help_puts_local_first_and_truncates_nothing():
    from click.testing import CliRunner

    from orchestrator.app import cli

    listed = CliRunner().invoke(cli, ["--help"]).output.split("Commands:")[1].splitlines()[1:]
    assert listed[0].split()[0] == "local"
    assert "gateway :3000, inventory :8080, billing :8081" in listed[0]
    assert not [line for line in listed if line.rstrip().endswith("...")]
