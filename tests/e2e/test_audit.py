"""The audit's bootstrap: `nox -s e2e` creates the cluster when none is up."""

from __future__ import annotations

from tests.e2e.audit import connect_or_create
from tests.orchestrator.cli_fakes import (
    FakeDocker,
    install_fakes,
    make_checkout,
    runtime,
)
from tests.orchestrator.test_cli_lifecycle import KUBECONFIG, answering_cluster


def fake_cluster(tmp_path, monkeypatch, checkout):
    fakes = answering_cluster(install_fakes(tmp_path, monkeypatch), checkout)
    fakes.on("vagrant", "ssh", read_stdin=True)  # after the kubeconfig's more specific ssh
    return fakes


def test_without_a_kubeconfig_the_audit_creates_the_cluster(tmp_path, monkeypatch):
    checkout = make_checkout(tmp_path / "repo")
    fakes = fake_cluster(tmp_path, monkeypatch, checkout)
    kubectl = connect_or_create(runtime(checkout, docker=FakeDocker()))

    assert fakes.calls("vagrant")[:2] == [["up", "k3s-master"], ["up", "k3s-agent"]]
    assert [argv[0] for argv in fakes.calls("helm")][-1] == "upgrade"
    assert kubectl.settings.kubeconfig.is_file()


def test_a_cluster_that_does_not_answer_is_created_too(tmp_path, monkeypatch):
    checkout = make_checkout(tmp_path / "repo")
    (checkout / "k3s.yaml").write_text(KUBECONFIG)
    fakes = fake_cluster(tmp_path, monkeypatch, checkout)
    fakes.on("kubectl", "version", stderr="Unable to connect\n", exit=1, first=True, times=1)
    connect_or_create(runtime(checkout, docker=FakeDocker()))

    assert ["up", "k3s-master"] in fakes.calls("vagrant")


def test_a_running_cluster_is_used_as_it_is(tmp_path, monkeypatch):
    checkout = make_checkout(tmp_path / "repo")
    (checkout / "k3s.yaml").write_text(KUBECONFIG)
    fakes = fake_cluster(tmp_path, monkeypatch, checkout)
    connect_or_create(runtime(checkout, docker=FakeDocker()))

    assert fakes.calls("vagrant") == []
    assert fakes.calls("helm") == []
    assert [argv[2] for argv in fakes.calls("kubectl")] == ["version"]
