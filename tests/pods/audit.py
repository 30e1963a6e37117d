"""The audit's steps through the gateway's NodePort on 127.0.0.1, and what the billing
database holds, read with psql inside its own pod."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from tests.pods.podman import Podman

GATEWAY = "http://127.0.0.1:30000"
BILLING_DB = "billing-db-postgres"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def call(method: str, path: str, body: Any = None, timeout: float = 10.0) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        GATEWAY + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, json.loads(response.read() or b"null"))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read().decode(errors="replace"))


def order(user_id: int) -> Answer:
    # Numeric strings: the API accepts them as well as numbers.
    return call(
        "POST",
        "/api/billing",
        {"user_id": str(user_id), "number_of_items": "1", "total_amount": "10"},
    )


@dataclass(frozen=True)
class BillingDb:
    podman: Podman
    user: str
    name: str

    def psql(self, command: str) -> str:
        # The local socket: trust inside the pod, as `kubectl exec ... psql` would use.
        done = self.podman.exec(
            BILLING_DB, "psql", "-U", self.user, "-d", self.name, "-At", "-c", command
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql {command!r}: {done.stderr.strip()}")
        return done.stdout

    def databases(self) -> list[str]:
        return [row.split("|")[0] for row in self.psql(r"\l").splitlines() if "|" in row]

    def users_ordered(self) -> list[int]:
        """user_id of every row of `TABLE orders;`, in insertion order."""
        header = self.psql("SELECT column_name FROM information_schema.columns WHERE "
                           "table_name = 'orders' ORDER BY ordinal_position")  # fmt: skip
        column = header.split().index("user_id")
        rows = self.psql("TABLE orders;").splitlines()
        return [int(row.split("|")[column]) for row in rows if row]

    def wait_for_user(self, user_id: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if user_id in self.users_ordered():
                return True
            time.sleep(0.5)
        return False
