"""`python -m bench.compare [--rounds N] [--record] REV [REV ...]`: what each change bought.

Runs the same short loads (bench.probe) against the services of each git revision, with one
harness for all (this checkout's bench/ and orchestrator/local/), revisions interleaved round
by round so that the machine's other load falls on all of them. Writes a Markdown table to
bench/results/runs/, or with --record to bench/results/changes.md."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.probe import MARKER
from bench.wrk import BenchError
from tests.harness.process import ROOT

RESULTS = Path(__file__).with_name("results")
HARNESS = ("bench", "tests/harness", "orchestrator/local")
Figures = dict[str, Any]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("revisions", nargs="+", help="git revisions, oldest first")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--record", action="store_true", help="write bench/results/changes.md")
    args = parser.parse_args()
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="movies-compare-") as tmp:
        trees = {rev: _checkout(rev, Path(tmp) / str(i)) for i, rev in enumerate(args.revisions)}
        runs: dict[str, list[Figures]] = {rev: [] for rev in args.revisions}
        for _ in range(args.rounds):
            for rev, tree in trees.items():
                runs[rev].append(_probe(tree))
                loads.append(os.getloadavg()[0])
    markdown = render(runs, loads)
    out = RESULTS / "changes.md" if args.record else _run_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown)
    print(markdown)
    print(f"written to {out}")


def _run_path() -> Path:
    return RESULTS / "runs" / f"compare-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.md"


def _checkout(rev: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    for part in HARNESS:  # only services/ differs between the versions measured
        shutil.rmtree(into / part, ignore_errors=True)
        ignore = shutil.ignore_patterns("results", "__pycache__")
        shutil.copytree(ROOT / part, into / part, ignore=ignore)
    return into


def _probe(tree: Path) -> Figures:
    done = subprocess.run(
        [sys.executable, "-m", "bench.probe"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=900,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        raise BenchError(f"bench.probe failed in {tree}: {done.stderr.strip()[-400:]}")
    return json.loads(line[len(MARKER) :])


def _subject(rev: str) -> str:
    shown = subprocess.run(
        ["git", "log", "-1", "--format=%h %s", rev], cwd=ROOT, capture_output=True, text=True
    )
    return shown.stdout.strip()[:90]


def _median(runs: list[Figures], pick: Callable[[Figures], float | None]) -> str:
    values = [v for v in (pick(run) for run in runs) if v is not None]
    return f"{statistics.median(values):,.2f}" if values else ""


COLUMNS: list[tuple[str, Callable[[Figures], float | None]]] = [
    ("no-op req/s", lambda f: f["noop"]["rps"]),
    ("inventory by id, of no-op", lambda f: f["inventory"]["rps"] / f["noop"]["rps"]),
    ("inventory CPU µs/req", lambda f: f["inventory"]["cpu_us_per_request"]["inventory"]),
    ("gateway by id, of no-op", lambda f: f["gateway"]["rps"] / f["noop"]["rps"]),
    ("gateway CPU µs/req", lambda f: f["gateway"]["cpu_us_per_request"]["gateway"]),
    ("gateway log lines/req", lambda f: f["gateway"].get("log_lines_per_request")),
    ("list 10k req/s", lambda f: f["list"]["rps"]),
    ("list 10k inventory CPU ms/req", lambda f: _per_list(f, "inventory")),
    ("list 10k postgres CPU ms/req", lambda f: _per_list(f, "postgres")),
    ("list 10k inventory peak MiB", lambda f: f["list"]["peak_rss_mib"]["inventory"]),
]


def _per_list(figures: Figures, name: str) -> float | None:
    if not figures["list"]["rps"]:
        return None  # no list completed within the load: nothing to divide by
    return figures["list"]["cpu_us_per_request"][name] / 1000


def render(runs: dict[str, list[Figures]], loads: list[float]) -> str:
    rounds = len(next(iter(runs.values())))
    header = (
        f"Run {datetime.now(UTC).isoformat(timespec='seconds')}: `python -m bench.compare`, "
        f"{rounds} rounds, revisions interleaved; 1-minute load average "
        f"{min(loads):.1f} to {max(loads):.1f} over the run. GET by id and the list of "
        "10,000 (through the gateway) with 32 connections for 4 s each; medians of the "
        "rounds; an empty cell means no request completed in the load."
    )
    rows = [
        "| revision | " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    for rev, measured in runs.items():
        cells = " | ".join(_median(measured, pick) for _, pick in COLUMNS)
        rows.append(f"| {_subject(rev)} | {cells} |")
    return header + "\n\n" + "\n".join(rows) + "\n"


if __name__ == "__main__":
    main()
