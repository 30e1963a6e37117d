"""Every flag the CLI passes to kubectl and helm (as recorded by the stand-ins) is one
that the real kubectl and helm binaries document for that subcommand."""

from __future__ import annotations

import functools
import json
import re
import subprocess

from click.testing import CliRunner

from orchestrator.app import cli
from tests.support.tools import on_path

from .cli_fakes import HPAS, NODES, WORKLOADS, FakeDocker, install_fakes, make_checkout, runtime
from .test_cli_lifecycle import HELM_STATUS, KUBECONFIG, vagrant_status

GLOBAL_WITH_VALUE = {"--kubeconfig", "--namespace"}


@functools.cache
def help_text(binary: str, words: tuple[str, ...]) -> str:
    text = subprocess.run([binary, *words, "--help"], capture_output=True, text=True).stdout
    if binary.endswith("kubectl"):  # kubectl lists its global flags apart
        text += subprocess.run([binary, "options"], capture_output=True, text=True).stdout
    return text


def subcommand(argv: list[str]) -> tuple[str, ...]:
    """The leading words that name the subcommand, after any global flags."""
    words, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in GLOBAL_WITH_VALUE:
            skip = True
        elif arg.startswith("-"):
            continue
        else:
            words.append(arg)
            if words[0] not in ("rollout", "show", "scale") or len(words) == 2:
                break
    return tuple(words)


def unknown_flags(binary: str, argv: list[str]) -> list[str]:
    text = help_text(binary, subcommand(argv))
    flags = {arg.split("=", 1)[0] for arg in argv if arg.startswith("--")}
    return sorted(f for f in flags if not re.search(rf"(^|\s){re.escape(f)}[=\s\[:]", text, re.M))


def test_every_kubectl_and_helm_flag_is_real(tmp_path, monkeypatch):
    # The real binaries, located before the stand-ins take over PATH.
    kubectl, helm = str(on_path("kubectl")), str(on_path("helm"))
    checkout = make_checkout(tmp_path / "repo")
    fakes = install_fakes(tmp_path, monkeypatch)
    fakes.on("vagrant", "status", stdout=vagrant_status("running", "running"))
    fakes.on("vagrant", "ssh", "k3s-master", "--command", stdout=KUBECONFIG)
    fakes.on("vagrant", "ssh", read_stdin=True)
    fakes.on("kubectl", "get", "nodes", stdout=json.dumps(NODES))
    fakes.on("kubectl", "get", "deployments,statefulsets", stdout=json.dumps(WORKLOADS))
    fakes.on("kubectl", "get", "horizontalpodautoscalers", stdout=json.dumps(HPAS))
    running = {"items": [{"metadata": {"name": "api-gateway-a"}, "status": {"phase": "Running"}}]}
    fakes.on("kubectl", "get", "pods", stdout=json.dumps(running))
    fakes.on("kubectl", "exec", stdout='{"status": "ok"}')
    fakes.on("kubectl", "apply", read_stdin=True)
    fakes.on("helm", "version", stdout="v4.1.4")
    fakes.on("helm", "show", stdout=(checkout / "charts/movies/Chart.yaml").read_text())
    fakes.on("helm", "upgrade", stdout=json.dumps(HELM_STATUS), read_stdin=True)
    for args in (["create"], ["status"], ["health"], ["logs", "gateway", "-f"]):
        rt = runtime(checkout, docker=FakeDocker())
        result = CliRunner().invoke(cli, args, obj=rt, catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output

    kubectl_calls, helm_calls = fakes.calls("kubectl"), fakes.calls("helm")
    assert {subcommand(argv) for argv in kubectl_calls} >= {
        ("wait",),
        ("rollout", "status"),
        ("get",),
        ("logs",),
        ("version",),
        ("apply",),
        ("exec",),
    }
    assert ("upgrade",) in {subcommand(argv) for argv in helm_calls}
    assert {tuple(argv): unknown_flags(kubectl, argv) for argv in kubectl_calls} == {
        tuple(argv): [] for argv in kubectl_calls
    }
    assert {tuple(argv): unknown_flags(helm, argv) for argv in helm_calls} == {
        tuple(argv): [] for argv in helm_calls
    }
