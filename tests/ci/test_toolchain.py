"""The toolchain finds real, recent binaries and refuses stand-ins."""

from __future__ import annotations

import importlib.util
import json
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_toolchain():
    # .ci/ is not a package (its name starts with a dot): load the script by path.
    spec = importlib.util.spec_from_file_location("toolchain", ROOT / ".ci" / "toolchain.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


toolchain = _load_toolchain()


def _fake(tmp_path: Path, name: str, output: str) -> Path:
    script = tmp_path / name
    script.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}\nOUT\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize(
    ("text", "expected"),
    [("v4.1.4", (4, 1)), ("v1.33.1+k3s1", (1, 33)), ("v22.23.3\n", (22, 23)), ("3.17.0", (3, 17))],
)
def test_parse_version_reads_major_minor(text, expected):
    assert toolchain.parse_version(text) == expected


@pytest.mark.parametrize("text", ["", "helm", "v1.32", "Client Version: v1.35.2"])
def test_parse_version_rejects_non_versions(text):
    assert toolchain.parse_version(text) is None


def _kubectl_json(git_version: str) -> str:
    return json.dumps({"clientVersion": {"gitVersion": git_version}})


def test_gcloud_dispatcher_kubectl_is_not_trusted(tmp_path):
    fake = _fake(tmp_path, "kubectl", _kubectl_json("v1.35.0-dispatcher"))
    assert not toolchain.qualifies(toolchain.KUBECTL, fake)


def test_real_recent_kubectl_qualifies_and_old_one_does_not(tmp_path):
    recent = _fake(tmp_path, "k1", _kubectl_json("v1.33.2"))
    old = _fake(tmp_path, "k2", _kubectl_json("v1.32.9"))
    assert toolchain.qualifies(toolchain.KUBECTL, recent)
    assert not toolchain.qualifies(toolchain.KUBECTL, old)


def test_old_node_does_not_qualify(tmp_path):
    assert not toolchain.qualifies(toolchain.NODE, _fake(tmp_path, "node", "v20.20.2"))
    assert toolchain.qualifies(toolchain.NODE, _fake(tmp_path, "node22", "v22.0.0"))


def test_missing_binary_does_not_qualify(tmp_path):
    assert not toolchain.qualifies(toolchain.HELM, tmp_path / "absent")


def test_failed_install_raises_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    def broken() -> None:
        raise OSError("no network")

    with pytest.raises(toolchain.ToolchainError) as caught:
        toolchain._ensure(toolchain.HELM, tmp_path / "helm", broken)
    message = str(caught.value)
    assert "\n" not in message
    assert "helm" in message
    assert "no network" in message


def test_ensured_binaries_are_real(tmp_path):
    """The real thing: whatever ensure_* returns runs and is recent enough."""
    for tool, ensure in [
        (toolchain.HELM, toolchain.ensure_helm),
        (toolchain.KUBECTL, toolchain.ensure_kubectl),
        (toolchain.NODE, toolchain.ensure_node),
    ]:
        version = toolchain.read_version(tool, ensure())
        assert version is not None
        assert version >= tool.minimum
