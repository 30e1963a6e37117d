"""`python -m bench [--seconds N] [--server S] [--record | --out DIR]`: run the bench, write and
print the tables. A plain run writes to bench/results/runs/<time>/ (ignored by git); only
`--record` replaces the recorded results: bench/results/ for the services on waitress,
bench/results/granian/ for them on granian."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.report import write
from bench.run import run
from bench.wrk import BenchError
from services.common.server import SERVERS

RESULTS = Path(__file__).with_name("results")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured load")
    parser.add_argument(
        "--server", choices=SERVERS, default=SERVERS[0], help="the services' HTTP_SERVER"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--record", action="store_true", help=f"write to {RESULTS}[/granian]")
    where.add_argument("--out", type=Path, help="folder for latest.{md,json} and the plots")
    args = parser.parse_args()
    recorded = RESULTS if args.server == SERVERS[0] else RESULTS / args.server
    out = recorded if args.record else args.out or _run_folder(args.server)
    try:
        results = run(args.seconds, args.server)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    print(write(results, out))
    print(f"written to {out}")


def _run_folder(server: str) -> Path:
    return RESULTS / "runs" / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{server}"


if __name__ == "__main__":
    main()
