"""The three services wired together on this machine, each run in its own databases and queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.backends import Database, QueueName, unique
from tests.harness.process import ServiceProcess


@dataclass
class Stack:
    workdir: Path
    inventory_db: Database
    billing_db: Database
    queue: QueueName
    extra_env: dict[str, str] = field(default_factory=dict)
    inventory: ServiceProcess = field(init=False)
    billing: ServiceProcess = field(init=False)
    gateway: ServiceProcess = field(init=False)

    @classmethod
    def create(cls, workdir: Path, **extra_env: str) -> Stack:
        return cls(
            workdir,
            Database.create("movies_inventory"),
            Database.create("movies_billing"),
            QueueName(unique("billing_queue")),
            dict(extra_env),
        )

    def __post_init__(self) -> None:
        common = {**self.queue.env(), **self.extra_env}
        self.inventory = ServiceProcess(
            "inventory",
            {**self.inventory_db.env("INVENTORY_DB"), **common},
            self.workdir / "inventory.log",
        )
        self.billing = ServiceProcess(
            "billing", {**self.billing_db.env("BILLING_DB"), **common}, self.workdir / "billing.log"
        )
        self.gateway = ServiceProcess(
            "gateway",
            {"INVENTORY_URL": self.inventory.url, **common},
            self.workdir / "gateway.log",
        )

    def start(self) -> Stack:
        """All three, ready. A start that fails tears the stack down before raising, so that
        no process, database or queue of this run is left behind."""
        try:
            self.inventory.start(wait_for="/readyz")
            self.billing.start(wait_for="/readyz")
            self.gateway.start(wait_for="/readyz")
        except BaseException:
            self.destroy()
            raise
        return self

    def stop(self) -> None:
        for service in (self.gateway, self.billing, self.inventory):
            service.stop()

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            self.inventory_db.drop()
            self.billing_db.drop()
            self.queue.delete()

    def orders(self) -> int:
        """Rows in billing's orders table; 0 before billing has created it."""
        exists = self.billing_db.scalar("SELECT to_regclass('orders') IS NOT NULL")
        count = self.billing_db.scalar("SELECT count(*) FROM orders") if exists else 0
        return int(str(count))
