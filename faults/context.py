"""What every scenario is handed: where to write logs, how big to go, and its randomness."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Context:
    workdir: Path
    quick: bool
    seed: int

    def random(self, name: str) -> random.Random:
        # One seeded generator per scenario: a failing run can be replayed with --seed.
        return random.Random(f"{self.seed}:{name}")

    def scale(self, full: int, quick: int) -> int:
        return quick if self.quick else full
