"""./orchestrator.sh on a fresh clone: it prepares .venv once, then just runs the CLI."""

from __future__ import annotations

import subprocess

from tests.support.tools import REPO


def test_first_use_bootstraps_the_venv_and_later_uses_do_not(tmp_path):
    clone = tmp_path / "movies"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)

    def orchestrator(*args):
        return subprocess.run(
            ["./orchestrator.sh", *args], cwd=clone, capture_output=True, text=True,
            check=False, timeout=600,
        )  # fmt: skip

    first = orchestrator("--help")
    assert first.returncode == 0, first.stderr
    assert f"orchestrator: preparing {clone}/.venv (first run only)" in first.stderr
    assert first.stdout.startswith("Usage: orchestrator [OPTIONS] COMMAND [ARGS]...")

    again = orchestrator("deploy")
    assert "preparing" not in again.stderr
    assert again.returncode == 1
    assert again.stderr == (
        "Error: k3s.yaml is missing: no cluster was created here; run ./orchestrator.sh create\n"
    )
