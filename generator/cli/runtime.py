"""What every command needs, built once per invocation; tests pass their own."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from generator.cli import images
from generator.cli.errors import OrchestratorError
from generator.cli.kube import Kubectl, require_kubeconfig
from generator.cli.settings import Settings, find_root


def _from_toolchain(name: str) -> Path:
    """helm or kubectl from generator.toolchain: the one on PATH or a pinned install."""
    try:
        from generator import toolchain  # loaded only when a tool is needed
    except ImportError as exc:
        raise OrchestratorError(
            f"generator.toolchain is missing, so {name} cannot be located; install {name} on PATH"
        ) from exc
    try:
        return getattr(toolchain, f"ensure_{name}")()
    except toolchain.ToolchainError as exc:
        raise OrchestratorError(str(exc)) from exc


def default_helm() -> Path:
    return _from_toolchain("helm")


def default_kubectl() -> Path:
    return _from_toolchain("kubectl")


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    console: Console = field(default_factory=Console)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    docker: Callable[[], Any] = images.connect_docker
    helm: Callable[[], Path] = default_helm
    kubectl_binary: Callable[[], Path] = default_kubectl

    @classmethod
    def from_environment(cls) -> Runtime:
        return cls(settings=Settings.from_env(find_root(Path.cwd())))

    def kubectl(self) -> Kubectl:
        # No cluster, no need to locate (or install) kubectl before saying so.
        require_kubeconfig(self.settings)
        return Kubectl(self.kubectl_binary(), self.settings)
