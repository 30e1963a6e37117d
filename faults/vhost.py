"""A RabbitMQ virtual host of our own, so that cutting "all" connections cuts only ours.

The broker on this machine is shared with other test runs: every rabbitmqctl call here names
our vhost explicitly, and nothing ever acts on the node as a whole.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from kombu import Connection

from tests.harness.backends import MQ_HOST, MQ_PASSWORD, MQ_PORT, MQ_USER, unique

_CTL_TIMEOUT = 60


def rabbitmqctl(*args: str) -> str:
    done = subprocess.run(
        ["rabbitmqctl", "-q", *args],
        capture_output=True,
        text=True,
        timeout=_CTL_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class Vhost:
    name: str

    @classmethod
    def create(cls) -> Vhost:
        vhost = cls(unique("faults"))
        rabbitmqctl("add_vhost", vhost.name)
        vhost.allow()
        return vhost

    def allow(self) -> None:
        rabbitmqctl("set_permissions", "-p", self.name, MQ_USER, ".*", ".*", ".*")

    def deny(self) -> None:
        """New connections to the vhost are refused until allow(); open ones stay."""
        rabbitmqctl("clear_permissions", "-p", self.name, MQ_USER)

    def close_connections(self, reason: str) -> None:
        rabbitmqctl("close_all_connections", "--vhost", self.name, "--limit", "10000", reason)

    def connection_count(self) -> int:
        out = rabbitmqctl("list_connections", "vhost")
        return sum(1 for line in out.splitlines() if line.strip() == self.name)

    def delete(self) -> None:
        rabbitmqctl("delete_vhost", self.name)

    def env(self) -> dict[str, str]:
        return {"RABBITMQ_VHOST": self.name}

    def connect(self) -> Connection:
        return Connection(
            hostname=MQ_HOST,
            port=MQ_PORT,
            userid=MQ_USER,
            password=MQ_PASSWORD,
            virtual_host=self.name,
            connect_timeout=5,
        )

    def depth(self, queue: str) -> int:
        """Messages ready in `queue` (0 when it does not exist yet)."""
        with self.connect() as conn:
            try:
                _, count, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
            except conn.channel_errors:
                return 0
            return int(count)
