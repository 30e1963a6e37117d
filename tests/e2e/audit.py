"""The audit scenario against the Vagrant cluster (`nox -s e2e`; never run in CI).

Creates the cluster when it is not up, then: movies CRUD through the gateway's
NodePort, an order, billing scaled to zero, an order while billing is down (the
gateway must still take it: it waits in RabbitMQ), billing scaled back, and that
order found in `orders` of billing-db-0. Prints one PASS/FAIL line a step.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from orchestrator import workflows
from orchestrator.errors import OrchestratorError
from orchestrator.kube import Kubectl
from orchestrator.runtime import Runtime

ORDER_WAIT_SECONDS = 180


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def call(base: str, method: str, path: str, body: Any = None) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, json.loads(response.read() or b"null"))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read().decode(errors="replace"))


def expect(answer: Answer, status: int = 200) -> Any:
    if answer.status != status:
        raise AssertionError(f"expected {status}, got {answer.status}: {answer.body}")
    return answer.body


@dataclass(frozen=True)
class Scenario:
    base: str
    kubectl: Kubectl
    user_id: int

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("movies: create, read, search, update, delete", self.movies),
            ("billing: an order while billing runs", lambda: self.order(1)),
            ("kubectl scale statefulset billing-app --replicas=0", lambda: self.scale(0)),
            ("billing: an order while billing is down", lambda: self.order(2)),
            ("kubectl scale statefulset billing-app --replicas=1", lambda: self.scale(1)),
            ("the order of the downtime is in billing-db-0's orders", self.order_recorded),
        ]

    def movies(self) -> str:
        movie = {"title": f"audit {self.user_id}", "description": "from the e2e audit"}
        created = expect(call(self.base, "POST", "/api/movies", movie))
        path = f"/api/movies/{created['id']}"
        assert expect(call(self.base, "GET", path))["title"] == movie["title"]
        found = expect(call(self.base, "GET", f"/api/movies?title=AUDIT%20{self.user_id}"))
        assert [m["id"] for m in found] == [created["id"]], found
        updated = expect(call(self.base, "PUT", path, {**movie, "description": "updated"}))
        assert updated["description"] == "updated", updated
        expect(call(self.base, "DELETE", path))
        expect(call(self.base, "GET", path), 404)
        return f"movie {created['id']} created, found, updated and deleted"

    def order(self, items: int) -> str:
        # Numeric strings: the API accepts them as well as numbers.
        body = {"user_id": str(self.user_id), "number_of_items": str(items), "total_amount": "20"}
        expect(call(self.base, "POST", "/api/billing", body))
        return f"user {self.user_id}: {items} item(s) accepted"

    def scale(self, replicas: int) -> str:
        self.kubectl.run("scale", "statefulset/billing-app", f"--replicas={replicas}")
        if replicas == 0:
            workload = self.kubectl.workload("billing-app")
            selector = ",".join(f"{k}={v}" for k, v in workload.selector.items())
            self.kubectl.run("wait", "--for=delete", "pod", "--selector", selector,
                             "--timeout=180s")  # fmt: skip
        else:
            self.kubectl.run("rollout", "status", "statefulset/billing-app", "--timeout=300s")
        return f"billing-app at {replicas} replica(s)"

    def order_recorded(self) -> str:
        sql = f"SELECT count(*) FROM orders WHERE user_id::text = '{self.user_id}'"
        deadline = time.monotonic() + ORDER_WAIT_SECONDS
        count = 0
        while time.monotonic() < deadline:
            count = int(self.billing_sql(sql) or 0)
            if count >= 2:  # both orders: the one before and the one during the downtime
                return f"{count} orders of user {self.user_id} in billing-db-0"
            time.sleep(5)
        raise AssertionError(f"{count} of 2 orders of user {self.user_id} after the wait")

    def billing_sql(self, sql: str) -> str:
        # A plain psql, as a person types it inside the pod: PGUSER and PGDATABASE
        # are the chart's user and database.
        return self.kubectl.run("exec", "billing-db-0", "--", "psql", "-At", "-c", sql).strip()


def run(scenario: Scenario, console: Console) -> bool:
    ok = True
    for title, step in scenario.steps():
        try:
            detail = step()
        except (AssertionError, OrchestratorError, OSError, KeyError, ValueError) as exc:
            console.print(f"[red]FAIL[/] {title}: {exc}", highlight=False)
            ok = False
            break  # later steps build on this one
        console.print(f"[green]PASS[/] {title}: {detail}", highlight=False)
    return ok


def connect_or_create(rt: Runtime) -> Kubectl:
    """kubectl on the running cluster; when there is none (no ./k3s.yaml, or no answer),
    `create` first, as `nox -s e2e` promises."""
    try:
        kubectl = rt.kubectl()
        kubectl.ensure_reachable()
    except OrchestratorError as exc:
        rt.console.print(f"{exc.message}: creating the cluster (./orchestrator.sh create)")
        workflows.create(rt)
        kubectl = rt.kubectl()
    return kubectl


def main() -> None:
    rt = Runtime.from_environment()
    try:
        kubectl = connect_or_create(rt)
        scenario = Scenario(rt.settings.gateway_url, kubectl, 100000 + secrets.randbelow(899999))
        rt.console.print(f"audit against {scenario.base}")
        passed = run(scenario, rt.console)
    except OrchestratorError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        sys.exit(1)
    print("e2e audit passed" if passed else "e2e audit FAILED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
