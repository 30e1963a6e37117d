"""`python -m tests.postman.run NEWMAN`: the committed collection, run by the real newman
against a stack of its own (free ports, per-run databases and queue), then torn down."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.harness.backends import check_reachable
from tests.harness.stack import Stack
from tests.postman.collection import COLLECTION, OUT

REPORT = Path(__file__).resolve().parents[2] / "build" / "postman" / "newman.json"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.postman.run PATH_TO_NEWMAN", file=sys.stderr)
        return 2
    problem = check_reachable()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="postman-") as tmp:
        stack = Stack.create(Path(tmp))
        try:
            stack.start()
            command = [
                argv[0], "run", str(COLLECTION),
                "--environment", str(OUT / "local.postman_environment.json"),
                "--env-var", f"baseUrl={stack.gateway.url}",
                "--reporters", "cli,json", "--reporter-json-export", str(REPORT),
                "--color", "off", "--bail",
            ]  # fmt: skip
            return subprocess.run(command, check=False).returncode
        finally:
            stack.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
