"""`python -m faults [--quick] [--seed N] [--record] [SCENARIO ...]`: run, report, exit 1 on any
failure. Only `--record` overwrites faults/results/; other runs write build/faults/."""

from __future__ import annotations

import argparse
import logging
import random
import shlex
import sys
import tempfile
import time
from pathlib import Path

from faults import report
from faults.context import Context
from faults.runner import run_one, select
from tests.harness.backends import check_reachable


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("scenarios", nargs="*", help="scenario names (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller loads, fewer faults")
    parser.add_argument("--seed", type=int, default=None, help="replay a run's fault timing")
    parser.add_argument(
        "--record", action="store_true", help="write faults/results/ (default: build/faults/)"
    )
    return parser.parse_args(argv)


def replay_command(args: argparse.Namespace, seed: int) -> str:
    quick = ["--quick"] if args.quick else []
    return shlex.join(["nox", "-s", "faults", "--", *quick, "--seed", str(seed), *args.scenarios])


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse(argv)
    problem = check_reachable()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    modules = select(args.scenarios)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        ctx = Context(Path(tmp), quick=args.quick, seed=seed)
        results = [run_one(module, ctx) for module in modules]
    wall = time.monotonic() - started
    command = replay_command(args, seed)
    print(report.table(results))
    print(report.details(results))
    into = report.RESULTS if args.record else report.SCRATCH
    print(f"written to {report.write(results, command=command, wall_seconds=wall, into=into)}")
    failed = sum(not r.passed for r in results)
    print(f"faults: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
