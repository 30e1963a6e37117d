"""`python -m generator synth [--root DIR]`: synthesize the chart and the values files."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SETUP_HINT = "run `pip install -e '.[generator]'` first (or `./orchestrator.sh synth`, which does)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    synth = commands.add_parser("synth", help="write charts/movies and values/*.yaml")
    synth.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    args = parser.parse_args(argv)
    try:
        # cdk8s and its jsii runtime are only needed here, and are slow to import.
        import cdk8s  # noqa: F401
        import cdk8s_plus_33  # noqa: F401
        import yaml  # noqa: F401

        from generator.chart.synth import SynthError, synthesize
    except ImportError as exc:
        print(f"the chart generator cannot start ({exc}): {SETUP_HINT}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        written = synthesize(args.root)
    except SynthError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path.relative_to(args.root)}")
    print(f"synthesized {len(written)} files in {time.perf_counter() - started:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
