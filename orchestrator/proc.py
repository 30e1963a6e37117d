"""Running an external program and turning its failure into one readable line."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from orchestrator.errors import OrchestratorError, last_line


def run(
    argv: Sequence[str | Path],
    *,
    what: str,
    fix: str,
    stdin: IO[bytes] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """stdout of `argv`; on failure, an error naming `what`, the program's complaint and `fix`."""
    args = [str(arg) for arg in argv]
    try:
        done = subprocess.run(args, stdin=stdin, capture_output=True, env=env, cwd=cwd, check=False)
    except OSError as exc:
        raise OrchestratorError(f"{what}: cannot run {args[0]} ({exc.strerror}); {fix}") from exc
    if done.returncode != 0:
        why = last_line(done.stderr or done.stdout)
        raise OrchestratorError(f"{what} failed: {why}; {fix}")
    return done.stdout.decode(errors="replace")
