"""The committed chart and values are exactly what the constructs synthesize."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.generator.chart_support import ROOT

SYNTHESIZED = ("charts/movies", "values")
# Quick enough to run after every edit, with room for a loaded two-core machine.
INTERACTIVE_SECONDS = 15


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for folder in SYNTHESIZED
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


def _synthesize_into(root: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "generator", "synth", "--root", str(root)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    return result, time.perf_counter() - started


def test_synthesis_reproduces_the_committed_chart_byte_for_byte(tmp_path):
    result, elapsed = _synthesize_into(tmp_path)
    if elapsed >= INTERACTIVE_SECONDS:  # a busy machine gets one more try
        elapsed = min(elapsed, _synthesize_into(tmp_path / "again")[1])
    assert result.returncode == 0, result.stderr
    fresh, committed = _files(tmp_path), _files(ROOT)
    assert sorted(fresh) == sorted(committed), "files differ: run `python -m generator synth`"
    for name, content in fresh.items():
        assert content == committed[name], f"{name} drifted: run `python -m generator synth`"
    # Node 22+ keeps jsii quiet, and synthesis stays interactive.
    assert "end-of-life" not in result.stderr + result.stdout
    assert result.stderr == ""
    assert elapsed < INTERACTIVE_SECONDS, f"synthesis took {elapsed:.1f}s"


def test_synthesis_removes_files_it_no_longer_makes(tmp_path):
    from generator.chart.synth import synthesize

    stale = tmp_path / "charts" / "movies" / "templates" / "old.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("kind: Leftover\n")
    written = synthesize(tmp_path)
    assert not stale.exists()
    assert tmp_path / "values" / "vagrant.yaml" in written
