"""The latest run as a Markdown table (for people) and JSON (for tools): in faults/results/ when
recorded, in build/faults/ otherwise."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path

from faults.result import Result

RESULTS = Path(__file__).parent / "results"
# Where a run that was not asked to record writes: ignored by git, so the committed results
# (and the README that quotes them) change only on `--record`.
SCRATCH = Path(__file__).resolve().parents[1] / "build" / "faults"
COLUMNS = ("scenario", "sent", "200", "stored", "dup", "lost", "dead-lettered", "worst recovery")


def _recovery(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


def table(results: list[Result]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " | verdict |", "|" + "---|" * (len(COLUMNS) + 1)]
    for r in results:
        f = r.figures
        cells = (
            f"`{r.name}`",
            f.sent,
            f.acknowledged,
            f.stored,
            f.duplicates,
            f.lost,
            f.dead_lettered,
            _recovery(f.worst_recovery_s),
            "pass" if r.passed else "**FAIL**",
        )
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def details(results: list[Result]) -> str:
    parts = []
    for r in results:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
        parts.append(f"### `{r.name}` ({r.seconds:.0f} s)\n\n{r.claim}\n")
        if statuses:
            parts.append(f"- answers by status: {statuses}")
        parts.extend(f"- {note}" for note in r.notes)
        parts.extend(f"- **failed:** {failure}" for failure in r.failures)
        parts.append("")
    return "\n".join(parts)


def write(results: list[Result], *, command: str, wall_seconds: float, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"# Fault-injection results\n\nRun {when} on {platform.node() or 'this machine'} "
        f"({platform.python_version()}), {wall_seconds:.0f} s in all. Reproduce: `{command}`\n"
    )
    markdown = f"{header}\n{table(results)}\n\n{details(results)}"
    (into / "latest.md").write_text(markdown)
    payload = {
        "when": when,
        "command": command,
        "wall_seconds": round(wall_seconds, 1),
        "scenarios": [r.to_json() for r in results],
    }
    (into / "latest.json").write_text(json.dumps(payload, indent=2) + "\n")
    return into / "latest.md"
