"""What every command needs, built once per invocation; tests pass their own."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from orchestrator import images
from orchestrator.errors import OrchestratorError
from orchestrator.kube import Kubectl, require_kubeconfig
from orchestrator.settings import Settings, find_root

# What to tell a user who lacks one of the tools the cluster commands drive.
_INSTALL_HINTS = {
    "helm": "install helm 3.17+ (https://helm.sh/docs/intro/install/) and put it on PATH",
    "kubectl": "install kubectl 1.33+ (https://kubernetes.io/docs/tasks/tools/) on PATH",
}


def on_path(name: str) -> Path:
    """The named tool from PATH, or one line saying how to get it."""
    found = shutil.which(name)
    if found is None:
        raise OrchestratorError(f"{name} is not on PATH: {_INSTALL_HINTS[name]}")
    return Path(found)


def default_helm() -> Path:
    return on_path("helm")


def default_kubectl() -> Path:
    return on_path("kubectl")


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
