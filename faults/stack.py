"""The services under fault: the local Stack, on a vhost of our own, plus what
the scenarios need to inspect and break it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from faults.vhost import Vhost
from tests.harness.backends import pg
from tests.harness.process import ServiceProcess
from tests.harness.stack import Stack


@dataclass
class FaultStack:
    stack: Stack
    vhost: Vhost

    @classmethod
    def create(cls, workdir: Path, **extra_env: str) -> FaultStack:
        workdir.mkdir(parents=True, exist_ok=True)
        vhost = Vhost.create()
        return cls(Stack.create(workdir, **vhost.env(), **extra_env), vhost)

    @property
    def gateway(self) -> ServiceProcess:
        return self.stack.gateway

    @property
    def billing(self) -> ServiceProcess:
        return self.stack.billing

    @property
    def inventory(self) -> ServiceProcess:
        return self.stack.inventory

    @property
    def queue(self) -> str:
        return self.stack.queue.name

    def start(self) -> FaultStack:
        self.stack.start()
        return self

    def extra_billing(self, label: str) -> ServiceProcess:
        """Another billing process on the same queue and database."""
        first = self.stack.billing
        return ServiceProcess("billing", dict(first.env), first.log_path.with_name(f"{label}.log"))

    def extra_gateway(self, label: str, inventory_url: str) -> ServiceProcess:
        """Another gateway on the same queue, in front of another inventory."""
        first = self.stack.gateway
        env = {**first.env, "INVENTORY_URL": inventory_url}
        return ServiceProcess("gateway", env, first.log_path.with_name(f"{label}.log"))

    def stored_user_ids(self) -> list[int]:
        rows = self.stack.billing_db.query("SELECT user_id FROM orders")
        return [int(row[0]) for row in rows]

    def stored_count(self) -> int:
        return self.stack.orders()

    def depth(self) -> int:
        return self.vhost.depth(self.queue)

    def dead_lettered(self) -> int:
        return self.vhost.depth(f"{self.queue}.dead")

    def terminate_backends(self) -> int:
        """pg_terminate_backend on our own databases' connections only; returns how many."""
        names = [self.stack.inventory_db.name, self.stack.billing_db.name]
        admin = pg()
        try:
            rows = admin.run(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = ANY(CAST(:names AS text[])) AND pid <> pg_backend_pid()",
                names=names,
            )
        finally:
            admin.close()
        return sum(1 for row in rows if row[0])

    def settle(self, *, quiet_seconds: float = 2.0, timeout: float = 90.0) -> None:
        """Waits until the queue is empty and the order count has stopped moving."""
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = self.stored_count()
            if count != last or self.depth() > 0:
                last, since = count, time.monotonic()
            elif time.monotonic() - since >= quiet_seconds:
                return
            time.sleep(0.25)

    def destroy(self) -> None:
        try:
            self.stack.destroy()
        finally:
            self.vhost.delete()


def wait_for(predicate: Callable[[], bool], *, timeout: float, step: float = 0.05) -> float | None:
    """Seconds until `predicate` held, or None if it never did within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if predicate():
                return time.monotonic() - started
        except Exception:
            pass
        time.sleep(step)
    return None
