"""One line per step as it happens, a closing `N passed, N failed` line, and the run's
record in markdown (tests/pods/results/latest.md with --record, else an ignored folder)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.pods.podman import HERE

RECORDED = HERE / "results" / "latest.md"
SCRATCH = HERE / ".out" / "latest.md"


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    def step(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        line = f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else "")
        self.lines.append(line)
        print(line, flush=True)
        return ok

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  {text}", file=sys.stderr, flush=True)

    @property
    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"

    def write(self, path: Path, header: list[str]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = [
            "# `nox -s pods`: the chart's pods under podman",
            "",
            *header,
            "",
            "## Steps",
            "",
            "```",
            *self.lines,
            self.summary,
            "```",
            "",
        ]
        path.write_text("\n".join(body))
        return path
