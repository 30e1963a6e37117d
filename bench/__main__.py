"""`python -m bench [--seconds N] [--out DIR]`: run the bench, write and print the table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.report import write
from bench.run import run
from bench.wrk import BenchError

RESULTS = Path(__file__).with_name("results")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured load")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.{md,json}")
    args = parser.parse_args()
    try:
        results = run(args.seconds)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    print(write(results, args.out))


if __name__ == "__main__":
    main()
