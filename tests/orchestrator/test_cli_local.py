"""`local`: databases created on the real PostgreSQL, the three processes supervised
together, and the real services run by `python -m orchestrator local` on this machine."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager

import pg8000.native
import pytest
from rich.console import Console

from orchestrator.errors import OrchestratorError
from orchestrator.kube import Kubectl
from orchestrator.local import supervisor as local
from orchestrator.settings import Settings
from tests.e2e import audit
from tests.e2e.audit import call, expect
from tests.support.tools import REPO as REPO_ROOT
from tests.support.tools import on_path

from .cli_fakes import install_fakes, make_checkout
from .test_cli_flags import unknown_flags

CONFIG = local.LocalConfig()


def admin():
    return pg8000.native.Connection(user="postgres", host="127.0.0.1", database="postgres")


def test_missing_databases_are_created_once():
    names = [f"cli_test_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    try:
        assert local.ensure_databases(CONFIG, names) == names
        assert local.ensure_databases(CONFIG, names) == []
        conn = admin()
        found = conn.run("SELECT datname FROM pg_database WHERE datname = ANY(:n)", n=names)
        conn.close()
        assert sorted(row[0] for row in found) == sorted(names)
    finally:
        conn = admin()
        for name in names:
            conn.run(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()


def test_postgresql_not_answering_is_one_line_with_the_fix():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OrchestratorError) as failure:
        local.ensure_databases(local.LocalConfig(db_port=port), ["inventory"])
    assert failure.value.message == (
        f"PostgreSQL does not answer at 127.0.0.1:{port} as postgres: start it "
        "(e.g. pg_ctlcluster 15 main start) or set LOCAL_DB_*"
    )


def test_the_services_get_the_design_environment():
    gateway, inventory, billing = (
        {s.name: s for s in local.services(CONFIG, python="py")}[n]
        for n in ("gateway", "inventory", "billing")
    )
    assert gateway.argv == ("py", "-m", "services.gateway")
    assert gateway.env == {
        "HOST": "127.0.0.1", "PORT": "3000", "INVENTORY_URL": "http://127.0.0.1:8080",
        "RABBITMQ_HOST": "127.0.0.1",
        "RABBITMQ_PORT": "5672", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
    }  # fmt: skip
    assert inventory.env["PORT"] == "8080"
    assert inventory.env["HOST"] == billing.env["HOST"] == "127.0.0.1"
    assert inventory.env["INVENTORY_DB_NAME"] == "inventory"
    assert inventory.env["INVENTORY_DB_HOST"] == "127.0.0.1"
    assert billing.env["PORT"] == "8081"
    assert billing.env["BILLING_DB_NAME"] == "billing"
    assert billing.env["RABBITMQ_USER"] == "guest"


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


def stand_ins(tmp_path, lifetimes):
    return [
        local.LocalService(
            name, (sys.executable, "-c", STAND_IN, name, str(tmp_path / name), str(life))
        )
        for name, life in lifetimes.items()
    ]


def supervise(procs, stop=None):
    console = Console(record=True, width=200, force_terminal=False)
    code = local.supervise(procs, console, dict(os.environ), stop)
    return code, console.export_text()


def test_a_stop_request_stops_every_service_with_sigterm(tmp_path):
    # (The real SIGTERM path is exercised on `python -m orchestrator local` below.)
    procs = stand_ins(tmp_path, {"inventory": 60, "billing": 60, "gateway": 60})
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    code, output = supervise(procs, stop)

    assert code == 0
    for name in ("inventory", "billing", "gateway"):
        assert f'{name:<9} | {{"service": "{name}", "msg": "started"}}' in output
        assert (tmp_path / name).read_text() == "SIGTERM"
    assert output.splitlines()[-1] == "stopping the services"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_one_service_dying_stops_the_others(tmp_path):
    procs = stand_ins(tmp_path, {"inventory": 1, "gateway": 60})
    code, output = supervise(procs)

    assert code == 1
    assert "inventory exited with code 3; stopping the others" in output
    assert (tmp_path / "gateway").read_text() == "SIGTERM"
    assert not (tmp_path / "inventory").exists()


def wait_ready(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} not ready within {seconds}s")


@contextmanager
def running_local():
    """`python -m orchestrator local` until the block ends, then SIGTERM; yields its output
    (a list filled once it has stopped) and the process."""
    for port in (3000, 8080, 8081):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} is taken"
    orchestrator = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "local"], cwd=REPO_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    try:
        for port in (3000, 8080, 8081):
            wait_ready(f"http://127.0.0.1:{port}/readyz")
        yield orchestrator, output
    finally:
        orchestrator.send_signal(signal.SIGTERM)
        output.extend(orchestrator.communicate(timeout=60)[0].splitlines())


def test_local_runs_the_real_services_and_stops_them_on_sigterm():
    with running_local() as (orchestrator, lines):
        base = "http://127.0.0.1:3000"
        marker = f"local {uuid.uuid4().hex[:8]}"
        movie = expect(call(base, "POST", "/api/movies", {"title": marker, "description": "x"}))
        assert expect(call(base, "GET", f"/api/movies/{movie['id']}"))["title"] == marker
        expect(call(base, "DELETE", f"/api/movies/{movie['id']}"))

    assert orchestrator.returncode == 0, lines
    assert lines[-1] == "stopping the services"
    logged = [line.split(" | ", 1) for line in lines if " | " in line]
    assert {name.strip() for name, _ in logged} == {"gateway", "inventory", "billing"}
    assert all(json.loads(entry) for _, entry in logged)  # each log line is JSON


def test_the_audit_scenario_against_local_services_and_a_recording_kubectl(tmp_path, monkeypatch):
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
    scenario = audit.Scenario("http://127.0.0.1:3000", kubectl, user_id=777001)

    with running_local():
        passed = audit.run(scenario, console)

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
