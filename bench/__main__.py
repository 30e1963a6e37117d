"""`python -m bench [--seconds N] [--record | --out DIR]`: run the bench, write and print the
tables. A plain run writes to bench/results/runs/<time>/ (ignored by git); only `--record`
replaces the recorded results in bench/results/."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.report import write
from bench.run import run
from bench.wrk import BenchError

RESULTS = Path(__file__).with_name("results")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured load")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--record", action="store_true", help=f"write to {RESULTS}")
    where.add_argument("--out", type=Path, help="folder for latest.{md,json} and the plots")
    args = parser.parse_args()
    out = RESULTS if args.record else args.out or _run_folder()
    try:
        results = run(args.seconds)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    print(write(results, out))
    print(f"written to {out}")


def _run_folder() -> Path:
    return RESULTS / "runs" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


if __name__ == "__main__":
    main()
