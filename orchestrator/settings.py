"""Where things are and what they are called: read once, then passed around frozen.

The names, addresses, namespace and port come from ``services.contract``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services import contract
from services.contract import Node


@dataclass(frozen=True)
class Settings:
    root: Path
    timeout_seconds: int = 900
    namespace: str = contract.NAMESPACE
    release: str = contract.RELEASE
    nodes: tuple[Node, ...] = contract.NODES
    poll_seconds: float = 2.0

    @classmethod
    def from_env(cls, root: Path, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(root=root, timeout_seconds=int(env.get("ORCHESTRATOR_TIMEOUT", "900")))

    @property
    def kubeconfig(self) -> Path:
        return self.root / "k3s.yaml"

    @property
    def chart_dir(self) -> Path:
        return self.root / "charts" / "movies"

    @property
    def values_file(self) -> Path:
        return self.root / "values" / "vagrant.yaml"

    @property
    def state_dir(self) -> Path:
        """Local, never committed state: the image tag the chart should use."""
        return self.root / ".orchestrator"

    @property
    def image_values(self) -> Path:
        return self.state_dir / "images.yaml"

    @property
    def token_file(self) -> Path:
        """Written by the Vagrantfile; one per cluster."""
        return self.root / ".vagrant" / "k3s-token"

    @property
    def master(self) -> Node:
        return self.nodes[0]

    @property
    def gateway_url(self) -> str:
        return contract.GATEWAY_URL


def find_root(start: Path) -> Path:
    """The checkout holding the Vagrantfile: `start` or a parent, else this package's."""
    for candidate in (start, *start.parents):
        if (candidate / "Vagrantfile").is_file() and (candidate / "orchestrator").is_dir():
            return candidate
    return Path(__file__).resolve().parents[1]
