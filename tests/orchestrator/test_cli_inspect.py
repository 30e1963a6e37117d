"""status / health / logs, and the one-line failures when tools or the cluster are missing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from click.testing import CliRunner

from orchestrator.app import cli
from services import contract

from .cli_fakes import HPAS, NODES, WORKLOADS, install_fakes, make_checkout, runtime


@pytest.fixture
def checkout(tmp_path):
    root = make_checkout(tmp_path / "repo")
    (root / "k3s.yaml").write_text("apiVersion: v1\n")
    return root


@pytest.fixture
def fakes(tmp_path, monkeypatch):
    fakes = install_fakes(tmp_path, monkeypatch)
    fakes.on("vagrant", "status", stdout="1,k3s-master,state,running\n1,k3s-agent,state,running\n")
    fakes.on("kubectl", "get", "nodes", stdout=json.dumps(NODES))
    fakes.on("kubectl", "get", "deployments,statefulsets", stdout=json.dumps(WORKLOADS))
    fakes.on("kubectl", "get", "horizontalpodautoscalers", stdout=json.dumps(HPAS))
    return fakes


def invoke(rt, *args):
    return CliRunner().invoke(cli, list(args), obj=rt, catch_exceptions=False)


def test_status_shows_vms_nodes_workloads_hpas_and_the_gateway(fakes, checkout):
    result = invoke(runtime(checkout), "status")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    master = "k3s-master", "Ready", "control-plane", "192.168.56.10", "v1.33.3+k3s1"
    assert any(all(word in line for word in master) for line in lines)
    assert any("k3s-agent" in line and "192.168.56.11" in line for line in lines)
    assert any("deployment/api-gateway" in line and "2/2" in line for line in lines)
    assert any("statefulset/billing-app" in line and "0/1" in line for line in lines)
    assert any("api-gateway-hpa" in line and "Deployment/api-gateway" in line
               and "12% / 60%" in line for line in lines)  # fmt: skip
    assert lines[-1] == f"gateway: {contract.GATEWAY_URL}"


APPS_UP = {
    "items": [
        {"kind": kind, "metadata": {"name": name},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}},
         "status": {"readyReplicas": 1}}
        for kind, name in (("Deployment", "api-gateway"), ("Deployment", "inventory-app"),
                           ("StatefulSet", "billing-app"))
    ]
}  # fmt: skip


def pods(*named: tuple[str, str]) -> str:
    return json.dumps(
        {"items": [{"metadata": {"name": n}, "status": {"phase": p}} for n, p in named]}
    )


@pytest.fixture
def apps_up(fakes):
    fakes.on("kubectl", "get", "deployments,statefulsets", stdout=json.dumps(APPS_UP), first=True)
    # Two gateways, one on each node, and one still starting.
    fakes.on("kubectl", "get", "pods", "app=api-gateway", stdout=pods(
        ("api-gateway-a", "Running"), ("api-gateway-b", "Running"), ("api-gateway-c", "Pending")
    ))  # fmt: skip
    fakes.on(
        "kubectl", "get", "pods", "app=inventory-app", stdout=pods(("inventory-app-x", "Running"))
    )
    fakes.on("kubectl", "get", "pods", "app=billing-app", stdout=pods(("billing-app-0", "Running")))
    fakes.on("kubectl", "exec", stdout='{"status": "ok"}\n')
    return fakes


class Readyz(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        body = b'{"status": "ok"}' if self.status == 200 else b'{"checks": {"broker": "failed"}}'
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


def run_in_pod(argv: list[str], status: int) -> subprocess.CompletedProcess[str]:
    """The command health has kubectl run in a pod, run here against a server that
    answers /readyz with `status`, as the pod's own service would on its PORT."""
    handler = type("Handler", (Readyz,), {"status": status})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    command = argv[argv.index("--") + 1 :]
    command[0] = sys.executable if command[0] == "python" else command[0]
    try:
        return subprocess.run(
            command, env={"PORT": str(server.server_address[1])},
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    finally:
        server.shutdown()


def test_health_asks_each_running_pod_from_inside_it(apps_up, checkout):
    result = invoke(runtime(checkout), "health")

    assert result.exit_code == 0, result.output
    execs = [argv for argv in apps_up.calls("kubectl") if "exec" in argv]
    assert [argv[argv.index("exec") + 1 : argv.index("--")] for argv in execs] == [
        ["api-gateway-a", "-c", "api-gateway", "--request-timeout=30s"],
        ["api-gateway-b", "-c", "api-gateway", "--request-timeout=30s"],
        ["inventory-app-x", "-c", "inventory-app", "--request-timeout=30s"],
        ["billing-app-0", "-c", "billing-app", "--request-timeout=30s"],
    ]
    # No route from the API server to the pods is needed (NetworkPolicies drop it on K3s).
    assert not [argv for argv in apps_up.calls("kubectl") if "--raw" in argv]
    assert result.output.splitlines()[-1] == "all services ready"
    ready = run_in_pod(execs[0], 200)
    assert (ready.returncode, ready.stdout.strip()) == (0, '{"status": "ok"}')
    failing = run_in_pod(execs[0], 503)
    assert failing.returncode == 1
    assert failing.stderr.strip() == '503 {"checks": {"broker": "failed"}}'


def test_health_names_the_pod_that_fails(apps_up, checkout):
    stderr = '503 {"checks": {"database": "failed"}}\ncommand terminated with exit code 1\n'
    apps_up.on("kubectl", "exec", "billing-app-0", stderr=stderr, exit=1, first=True)
    result = invoke(runtime(checkout), "health")

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("api-gateway-a: ready")
    assert lines[3].startswith("billing-app-0: NOT READY kubectl exec failed:")
    assert lines[-1] == "Error: not ready: billing-app-0 (see its logs with `logs`)"


def test_health_with_no_running_pod_says_so(apps_up, checkout):
    apps_up.on("kubectl", "get", "pods", "app=inventory-app", stdout=pods(), first=True)
    result = invoke(runtime(checkout), "health")

    assert result.exit_code == 1
    assert "inventory-app: NOT READY no running pod" in result.output.splitlines()
    assert result.output.splitlines()[-1] == (
        "Error: not ready: inventory-app (see its logs with `logs`)"
    )


def test_logs_selects_every_pod_of_the_workload(fakes, checkout):
    result = invoke(runtime(checkout), "logs", "billing", "--follow", "--tail", "5")

    assert result.exit_code == 0, result.output
    assert fakes.calls("kubectl")[-1] == [
        "--kubeconfig", str(checkout / "k3s.yaml"), "--namespace", "microservices", "logs",
        "--selector", "app=billing-app,tier=app", "--all-containers", "--prefix", "--tail=5",
        "--max-log-requests=10", "--follow",
    ]  # fmt: skip


def test_logs_of_an_unknown_service_lists_the_choices(fakes, checkout):
    result = invoke(runtime(checkout), "logs", "payments")

    assert result.exit_code == 1
    assert result.output == (
        "Error: no workload named 'payments'; choose one of: gateway, inventory, billing, "
        "api-gateway, billing-app\n"
    )


@pytest.mark.parametrize("command", ["status", "health", "deploy", ["logs", "gateway"]])
def test_without_a_kubeconfig_every_cluster_command_says_create(fakes, checkout, command):
    (checkout / "k3s.yaml").unlink()
    args = command if isinstance(command, list) else [command]
    result = invoke(runtime(checkout), *args)

    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: k3s.yaml is missing: no cluster was created here; run ./orchestrator.sh create"
    )


def test_a_cluster_that_does_not_answer_says_start(fakes, checkout):
    fakes.on("kubectl", "version", stderr="Unable to connect to the server: dial tcp "
             "192.168.56.10:6443: connect: no route to host\n", exit=1, first=True)  # fmt: skip
    result = invoke(runtime(checkout), "health")

    assert result.exit_code == 1
    assert result.output == (
        "Error: the cluster at https://192.168.56.10:6443 does not answer: "
        "run ./orchestrator.sh start (or create)\n"
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("vagrant", "Error: vagrant is not installed (not on PATH): install Vagrant from "
         "https://developer.hashicorp.com/vagrant/install "
         "(Debian/Ubuntu: apt-get install vagrant)"),
        ("VBoxManage", "Error: VBoxManage is not installed (not on PATH): install VirtualBox "
         "from https://www.virtualbox.org/wiki/Downloads"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["create", "start", "stop", ["destroy", "--yes"]])
def test_missing_vagrant_or_virtualbox_is_one_line(fakes, checkout, missing, message, command):
    fakes.remove(missing)
    args = command if isinstance(command, list) else [command]
    result = invoke(runtime(checkout), *args)

    assert result.exit_code == 1
    assert result.output == message + "\n"
    assert fakes.calls("vagrant") == []


def test_the_console_script_turns_an_unexpected_error_into_one_line(tmp_path):
    # A kubeconfig that is a folder: nothing anticipates that, yet no traceback.
    root = make_checkout(tmp_path / "repo")
    (root / "k3s.yaml").mkdir()
    (root / ".orchestrator").mkdir()
    (root / ".orchestrator/images.json").write_text("{not json")
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", "load"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("Error: unexpected JSONDecodeError: ")
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
