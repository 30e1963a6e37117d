"""The Vagrantfile: validated by the real vagrant, and its contract checked statically."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from services import contract
from tests.support.tools import REPO, vagrant

VAGRANTFILE = (REPO / "Vagrantfile").read_text()


@pytest.fixture
def copy(tmp_path, monkeypatch):
    """The Vagrantfile and its provisioning script in a scratch folder, so that the token
    that validation generates lands there and not in the checkout."""
    shutil.copy(REPO / "Vagrantfile", tmp_path / "Vagrantfile")
    shutil.copytree(REPO / "orchestrator" / "provision", tmp_path / "orchestrator" / "provision")
    monkeypatch.setenv("VAGRANT_HOME", str(tmp_path / "vagrant.d"))
    monkeypatch.setenv("VAGRANT_CHECKPOINT_DISABLE", "1")
    return tmp_path


def validate(folder, **env):
    return subprocess.run(
        [vagrant(), "validate", "--ignore-provider"],
        cwd=folder, capture_output=True, text=True, check=False,
        env={**os.environ, **env},
    )  # fmt: skip


def test_vagrant_validate_passes(copy):
    done = validate(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Vagrantfile validated successfully." in done.stdout


def test_the_join_token_is_generated_once_per_cluster_outside_git(copy):
    assert validate(copy).returncode == 0
    token_file = copy / ".vagrant" / "k3s-token"
    token = token_file.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert validate(copy).returncode == 0
    assert token_file.read_text() == token  # kept for the cluster's life
    token_file.unlink()
    assert validate(copy).returncode == 0
    assert token_file.read_text() != token  # a new cluster, a new token
    ignored = subprocess.run(
        ["git", "check-ignore", ".vagrant/k3s-token", "k3s.yaml"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ignored.stdout.split() == [".vagrant/k3s-token", "k3s.yaml"]
    assert token not in VAGRANTFILE


def test_vm_sizes_come_from_the_environment(copy):
    assert validate(copy, K3S_VM_MEMORY="3072", K3S_VM_CPUS="3").returncode == 0
    bad = validate(copy, K3S_VM_MEMORY="lots")
    assert bad.returncode != 0
    assert 'invalid value for Integer(): "lots"' in bad.stderr + bad.stdout


def test_the_contract_names_addresses_and_pinned_k3s():
    # Ruby cannot import services.contract: the same values must be written here.
    master, agent = contract.MASTER, contract.AGENT
    assert f'MASTER_IP = "{master.ip}"' in VAGRANTFILE
    assert f'{{ name: "{master.name}", ip: MASTER_IP, role: "{master.role}" }}' in VAGRANTFILE
    assert f'{{ name: "{agent.name}", ip: "{agent.ip}", role: "{agent.role}" }}' in VAGRANTFILE
    assert re.search(r'K3S_VERSION = "v1\.33\.\d+\+k3s\d+"', VAGRANTFILE)
    assert "config.vm.box = BOX" in VAGRANTFILE
    assert re.search(r'BOX = "bento/ubuntu-24\.04"', VAGRANTFILE)
    assert '"KUBECONFIG_EXPORT" => "/vagrant/k3s.yaml"' in VAGRANTFILE
    assert f'"KUBECONFIG_NAMESPACE" => "{contract.NAMESPACE}"' in VAGRANTFILE


def test_virtualbox_names_are_unique_per_checkout():
    # A VM named plain k3s-master (another checkout, an old cluster) would clash.
    assert re.search(r"^\s*vb\.name = node\[:name\]$", VAGRANTFILE, re.M) is None
    assert 'vb.name = "movies-#{node[:name]}-#{CHECKOUT_ID}"' in VAGRANTFILE
    assert "CHECKOUT_ID = Digest::SHA256.hexdigest(__dir__)[0, 8]" in VAGRANTFILE
