"""`python -m tests.postman.run NEWMAN`: the committed collection, run by the real newman
against a stack of its own (free ports, per-run databases and queue), then torn down; twice:
once with writes open (no API_TOKENS, as the audit runs), once with API_TOKENS set on the
gateway and the token given to newman as the environment's `apiToken`."""

from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.harness.backends import check_reachable
from tests.harness.stack import Stack
from tests.postman.collection import COLLECTION, OUT, TOKEN_VARIABLE

REPORTS = Path(__file__).resolve().parents[2] / "build" / "postman"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.postman.run PATH_TO_NEWMAN", file=sys.stderr)
        return 2
    problem = check_reachable()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    runs = {"newman": {}, "newman-with-tokens": {"API_TOKENS": token}}
    for name, env in runs.items():
        code = run(argv[0], name, env, token if env else "")
        if code != 0:
            return code
    return 0


def run(newman: str, name: str, env: dict[str, str], token: str) -> int:
    print(f"newman run ({name}: API_TOKENS {'set' if env else 'unset'})", flush=True)
    with tempfile.TemporaryDirectory(prefix="postman-") as tmp:
        stack = Stack.create(Path(tmp), **env)
        try:
            stack.start()
            command = [
                newman, "run", str(COLLECTION),
                "--environment", str(OUT / "local.postman_environment.json"),
                "--env-var", f"baseUrl={stack.gateway.url}",
                "--env-var", f"{TOKEN_VARIABLE}={token}",
                "--reporters", "cli,json",
                "--reporter-json-export", str(REPORTS / f"{name}.json"),
                "--color", "off", "--bail",
            ]  # fmt: skip
            return subprocess.run(command, check=False).returncode
        finally:
            stack.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
