"""create / start / stop / destroy / deploy against recording stand-ins: the exact
commands that reach vagrant, kubectl and helm, and what the user reads."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml
from click.testing import CliRunner

from orchestrator.app import cli
from orchestrator.errors import OrchestratorError
from orchestrator.images import ImagePlan, record_loaded, save_plan
from orchestrator.settings import Settings
from services import contract

from .cli_fakes import NODES, WORKLOADS, FakeDocker, install_fakes, make_checkout, runtime

# What K3s writes to /etc/rancher/k3s/k3s.yaml (certificates left out).
KUBECONFIG = """\
apiVersion: v1
clusters:
- cluster:
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user: {}
"""
HELM_STATUS = {
    "name": "movies",
    "namespace": "microservices",
    "version": 1,
    "info": {"status": "deployed", "last_deployed": "2026-11-26T15:00:00Z"},
    "manifest": "",
}


def vagrant_status(master: str, agent: str) -> str:
    rows = []
    for name, state in (("k3s-master", master), ("k3s-agent", agent)):
        rows += [f"1,{name},provider-name,virtualbox", f"1,{name},state,{state}"]
    return "\n".join(rows) + "\n"


@pytest.fixture
def checkout(tmp_path):
    return make_checkout(tmp_path / "repo")


@pytest.fixture
def fakes(tmp_path, monkeypatch, checkout):
    fakes = install_fakes(tmp_path, monkeypatch)
    fakes.on("vagrant", "up", stdout="==> k3s-master: Booting VM...\n")
    fakes.on("vagrant", "ssh", "ctr", read_stdin=True)
    return answering_cluster(fakes, checkout)


def answering_cluster(fakes, checkout):
    """Both VMs running, the kubeconfig exported, nodes and workloads ready, helm working."""
    fakes.on("vagrant", "status", stdout=vagrant_status("running", "running"))
    fakes.on("vagrant", "ssh", "k3s-master", "--command", stdout=KUBECONFIG)
    fakes.on("kubectl", "get", "deployments,statefulsets", stdout=json.dumps(WORKLOADS))
    fakes.on("kubectl", "get", "nodes", stdout=json.dumps(NODES))
    fakes.on("kubectl", "apply", read_stdin=True)
    fakes.on("helm", "version", stdout="v4.1.4")
    fakes.on("helm", "show", "chart", stdout=(checkout / "charts/movies/Chart.yaml").read_text())
    fakes.on("helm", "upgrade", stdout=json.dumps(HELM_STATUS), read_stdin=True)
    return fakes


def invoke(rt, *args):
    return CliRunner().invoke(cli, list(args), obj=rt, catch_exceptions=False)


def kube(checkout, *args):
    return ["--kubeconfig", str(checkout / "k3s.yaml"), *args]


def test_create_brings_up_both_vms_installs_the_chart_and_waits(fakes, checkout):
    result = invoke(runtime(checkout, docker=FakeDocker(), timeout=600), "create")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "cluster created"
    assert f"gateway: {contract.GATEWAY_URL}" in result.output
    tag = json.loads((checkout / ".orchestrator/images.json").read_text())["tag"]
    apps = ("api-gateway", "inventory-app", "billing-app")
    assert fakes.calls("vagrant") == [
        ["up", "k3s-master"],
        ["up", "k3s-agent"],
        ["ssh", "k3s-master", "--command", "sudo cat /etc/rancher/k3s/k3s.yaml"],
        # images: built with the fake engine, then side-loaded into both nodes, each also
        # under the name and tag that values/vagrant.yaml alone renders
        ["status", "--machine-readable"],
        *[
            argv
            for node in ("k3s-master", "k3s-agent")
            for argv in (
                *[["ssh", node, "-c", "sudo k3s ctr -n k8s.io images import -"]] * 3,
                *[
                    ["ssh", node, "--command", "sudo k3s ctr -n k8s.io images tag --force "
                     f"docker.io/movies/{app}:{tag} docker.io/movies/{app}:0.1.0"]
                    for app in apps
                ],
            )
        ],
    ]  # fmt: skip
    exported = yaml.safe_load((checkout / "k3s.yaml").read_text())
    assert exported["clusters"][0]["cluster"]["server"] == "https://192.168.56.10:6443"
    # kubectl typed without -n shows the system
    assert exported["contexts"][0]["context"]["namespace"] == "microservices"
    assert fakes.calls("kubectl") == [
        kube(checkout, "get", "nodes", "-o", "json"),
        kube(checkout, "wait", "--for=condition=Ready", "node/k3s-master", "node/k3s-agent",
             "--timeout=600s"),
        kube(checkout, "version", "--request-timeout=10s"),
        kube(checkout, "apply", "-f", "-"),
        kube(checkout, "--namespace", "microservices", "get", "deployments,statefulsets",
             "-o", "json"),
        kube(checkout, "--namespace", "microservices", "rollout", "status",
             "deployment/api-gateway", "--timeout=600s"),
        kube(checkout, "--namespace", "microservices", "rollout", "status",
             "statefulset/billing-app", "--timeout=600s"),
    ]  # fmt: skip
    [namespace] = [yaml.safe_load(e["stdin"]) for e in fakes.entries() if "apply" in e["argv"]]
    assert namespace["metadata"] == {
        "name": "microservices",
        "labels": {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        },
    }


def test_create_waits_for_the_agent_to_register_before_waiting_for_ready(fakes, checkout):
    master_only = {"items": NODES["items"][:1]}
    fakes.on("kubectl", "get", "nodes", stdout=json.dumps(master_only), first=True, times=2)
    result = invoke(runtime(checkout, docker=FakeDocker(), timeout=600), "create")

    assert result.exit_code == 0, result.output
    calls = [argv[2:4] for argv in fakes.calls("kubectl")[:4]]
    assert calls == [["get", "nodes"]] * 3 + [["wait", "--for=condition=Ready"]]


def test_an_agent_that_never_registers_is_one_line(fakes, checkout):
    master_only = {"items": NODES["items"][:1]}
    fakes.on("kubectl", "get", "nodes", stdout=json.dumps(master_only), first=True)
    result = invoke(runtime(checkout, docker=FakeDocker(), timeout=0), "create")

    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: k3s-agent did not join the cluster within 0s; see `vagrant ssh k3s-agent -c "
        "'sudo journalctl -u k3s-agent'` and rerun ./orchestrator.sh create"
    )
    assert not [argv for argv in fakes.calls("kubectl") if "wait" in argv]
    assert fakes.calls("helm") == []


def test_create_installs_with_helm_upgrade_install_atomic_and_wait(fakes, checkout):
    docker = FakeDocker()
    invoke(runtime(checkout, docker=docker, timeout=600), "create")

    upgrade = fakes.calls("helm")[-1]
    assert upgrade[:3] == ["upgrade", "movies", str(checkout / "charts/movies")]
    for flag in ("--install", "--create-namespace", "--rollback-on-failure", "--wait"):
        assert flag in upgrade
    assert upgrade[upgrade.index("--namespace") + 1] == "microservices"
    assert upgrade[upgrade.index("--timeout") + 1] == "600s"
    assert upgrade[upgrade.index("--kubeconfig") + 1] == str(checkout / "k3s.yaml")
    override = yaml.safe_load((checkout / ".orchestrator/images.yaml").read_text())
    tag = override["image"]["tag"]
    # Side-loaded only: a node that misses an image must not look for it on Docker Hub.
    assert override == {"image": {"registry": "docker.io", "tag": tag, "pullPolicy": "Never"}}
    # The values go in on stdin: vagrant.yaml with the recorded build's image on top.
    [values] = fakes.stdin_of("helm", "upgrade")
    expected = yaml.safe_load((checkout / "values/vagrant.yaml").read_text())
    expected["image"] = override["image"]
    assert json.loads(values) == expected
    built = [kwargs["tag"] for name, kwargs in docker.calls if name == "build"]
    assert built == [
        f"docker.io/movies/{app}:{tag}" for app in ("api-gateway", "inventory-app", "billing-app")
    ]


def without_docker(rt):
    def no_engine():
        raise OrchestratorError("no Docker engine answers at the default socket")

    return dataclasses.replace(rt, docker=no_engine)


def test_create_without_docker_pulls_the_pushed_images(fakes, checkout):
    plan = ImagePlan("ghcr.io/acme", "v9")
    save_plan(Settings(root=checkout), plan, {})
    result = invoke(without_docker(runtime(checkout)), "create")

    assert result.exit_code == 0, result.output
    assert (
        "no Docker engine here: the nodes will pull ghcr.io/acme/movies/api-gateway:v9 "
        "and the others"
    ) in result.output
    assert not any("ctr" in " ".join(argv) for argv in fakes.calls("vagrant"))
    [values] = fakes.stdin_of("helm", "upgrade")
    assert json.loads(values)["image"] == {
        "registry": "ghcr.io/acme", "tag": "v9", "pullPolicy": "IfNotPresent"
    }  # fmt: skip
    assert result.output.splitlines()[-1] == "cluster created"


def test_create_without_docker_or_pushed_images_fails_before_booting(fakes, checkout):
    result = invoke(without_docker(runtime(checkout)), "create")

    assert result.exit_code == 1
    assert result.output == (
        "Error: no Docker engine answers at the default socket; without it, push the images "
        "from a machine with Docker (./orchestrator.sh build --push) and create from there\n"
    )
    assert fakes.calls() == []


def test_a_failing_vagrant_up_is_one_line_and_no_helm(fakes, checkout):
    fakes.on("vagrant", "up", "k3s-agent", stderr="VirtualBox error\n", exit=1, first=True)
    result = invoke(runtime(checkout), "create")

    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: vagrant up k3s-agent failed (its log is above); fix that, then rerun"
    )
    assert fakes.calls("helm") == []


def test_start_boots_without_provisioning_and_waits(fakes, checkout):
    fakes.on("vagrant", "status", stdout=vagrant_status("poweroff", "poweroff"), first=True)
    result = invoke(runtime(checkout), "start")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "cluster started"
    assert fakes.calls("vagrant")[:3] == [
        ["status", "--machine-readable"],
        ["up", "k3s-master", "--no-provision"],
        ["up", "k3s-agent", "--no-provision"],
    ]
    assert fakes.calls("helm") == []


def test_start_without_a_cluster_says_create(fakes, checkout):
    fakes.on("vagrant", "status", stdout=vagrant_status("not_created", "not_created"), first=True)
    result = invoke(runtime(checkout), "start")

    assert result.exit_code == 1
    assert result.output == (
        "Error: k3s-master, k3s-agent not created: run ./orchestrator.sh create first\n"
    )


def test_stop_halts_agent_then_master_and_keeps_the_disks(fakes, checkout):
    result = invoke(runtime(checkout), "stop")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "cluster stopped"
    assert fakes.calls("vagrant") == [
        ["status", "--machine-readable"],
        ["halt", "k3s-agent"],
        ["halt", "k3s-master"],
    ]


def test_destroy_asks_then_removes_vms_kubeconfig_and_token(fakes, checkout):
    (checkout / "k3s.yaml").write_text(KUBECONFIG)
    (checkout / ".vagrant").mkdir()
    (checkout / ".vagrant/k3s-token").write_text("secret")

    refused = CliRunner().invoke(cli, ["destroy"], obj=runtime(checkout), input="n\n")
    assert refused.exit_code == 1
    assert fakes.calls("vagrant") == []

    result = invoke(runtime(checkout), "destroy", "--yes")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "cluster destroyed"
    assert fakes.calls("vagrant") == [
        ["destroy", "k3s-agent", "--force"],
        ["destroy", "k3s-master", "--force"],
    ]
    assert not (checkout / "k3s.yaml").exists()
    assert not (checkout / ".vagrant/k3s-token").exists()


def recorded(checkout, plan=None, *, loaded=True):
    plan = plan or ImagePlan("docker.io", "v7")
    save_plan(Settings(root=checkout), plan, {})
    if loaded:
        record_loaded(Settings(root=checkout), plan)
    return plan


def test_deploy_passes_the_recorded_images_after_vagrant_values(fakes, checkout):
    (checkout / "k3s.yaml").write_text(KUBECONFIG)
    recorded(checkout)
    result = invoke(runtime(checkout), "deploy")

    assert result.exit_code == 0, result.output
    assert (
        "helm upgrade --install movies charts/movies -n microservices -f values/vagrant.yaml "
        "-f .orchestrator/images.yaml"
    ) in result.output
    assert result.output.splitlines()[-1] == "deployed movies to microservices"
    assert "statefulset/billing-app ready" in result.output
    assert [argv[0] for argv in fakes.calls("helm")] == ["version", "show", "upgrade"]
    [values] = fakes.stdin_of("helm", "upgrade")
    assert json.loads(values)["image"] == {
        "registry": "docker.io", "tag": "v7", "pullPolicy": "Never"
    }  # fmt: skip


def test_deploy_without_built_images_refuses_in_one_line(fakes, checkout):
    (checkout / "k3s.yaml").write_text(KUBECONFIG)
    result = invoke(runtime(checkout), "deploy")

    assert result.exit_code == 1
    assert result.output == (
        "Error: no images built or loaded: run ./orchestrator.sh build then ./orchestrator.sh "
        "load (or build --push to a registry the nodes can reach)\n"
    )
    assert fakes.calls("helm") == []


def test_deploy_of_images_built_but_not_loaded_says_load(fakes, checkout):
    (checkout / "k3s.yaml").write_text(KUBECONFIG)
    recorded(checkout, ImagePlan("docker.io", "v8"), loaded=False)
    result = invoke(runtime(checkout), "deploy")

    assert result.exit_code == 1
    assert result.output == (
        "Error: images v8 were built but never loaded into the nodes: run ./orchestrator.sh load\n"
    )
    assert fakes.calls("helm") == []
    # pushed images need no loading: the nodes pull them
    recorded(checkout, ImagePlan("ghcr.io/acme", "v8"), loaded=False)
    assert invoke(runtime(checkout), "deploy").exit_code == 0


def test_deploy_reports_a_helm_failure_in_one_line(fakes, checkout):
    (checkout / "k3s.yaml").write_text(KUBECONFIG)
    recorded(checkout)
    fakes.on("helm", "upgrade", stderr="Error: context deadline exceeded\n", exit=1, first=True)
    result = invoke(runtime(checkout), "deploy")

    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: helm upgrade --install movies failed: Error: context deadline exceeded; "
        "see ./orchestrator.sh status and ./orchestrator.sh logs SERVICE"
    )


def test_create_names_every_missing_prerequisite_at_once(fakes, checkout):
    for program in ("vagrant", "VBoxManage"):
        fakes.remove(program)

    def no_helm():
        raise OrchestratorError("helm is not on PATH: install helm 3.17+")

    rt = dataclasses.replace(without_docker(runtime(checkout)), helm=no_helm)
    result = invoke(rt, "create")

    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: vagrant is not installed (not on PATH): install Vagrant")
    for part in (
        "; VBoxManage is not installed (not on PATH): install VirtualBox",
        "; helm is not on PATH: install helm 3.17+",
        "; no Docker engine answers at the default socket; without it, push",
    ):
        assert part in line  # fmt: skip
    assert fakes.calls() == []


@pytest.mark.parametrize("command", ["deploy", "create"])
def test_without_a_synthesized_chart_deploy_and_create_say_synth(fakes, checkout, command):
    (checkout / "k3s.yaml").write_text(KUBECONFIG)
    (checkout / "values/vagrant.yaml").unlink()
    result = invoke(runtime(checkout), command)

    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: values/vagrant.yaml is missing: run ./orchestrator.sh synth"
    )
    assert fakes.calls("vagrant") == []
    assert fakes.calls("helm") == []
