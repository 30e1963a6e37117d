"""RabbitMQ connection settings and the durable billing queue, shared by gateway and billing."""

from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue
from kombu.exceptions import KombuError

from services.common.config import Reader

# Errors that mean "the broker or the connection to it failed", as raised by kombu/py-amqp.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    *Connection().connection_errors,
    *Connection().channel_errors,
    KombuError,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True)
class BrokerSettings:
    host: str
    port: int
    vhost: str
    user: str
    password: str
    queue: str
    connect_timeout: float = 2.0

    @classmethod
    def from_env(cls, env: Reader) -> BrokerSettings:
        return cls(
            host=env.text("RABBITMQ_HOST"),
            port=env.integer("RABBITMQ_PORT", minimum=1),
            vhost=env.text("RABBITMQ_VHOST"),
            user=env.text("RABBITMQ_USER"),
            password=env.password("RABBITMQ_PASSWORD"),
            queue=env.text("BILLING_QUEUE"),
            connect_timeout=env.number("RABBITMQ_CONNECT_TIMEOUT_SECONDS"),
        )

    def connect(self, *, confirm_publish: bool = False, heartbeat: int = 0) -> Connection:
        return Connection(
            hostname=self.host,
            port=self.port,
            userid=self.user,
            password=self.password,
            virtual_host=self.vhost,
            connect_timeout=self.connect_timeout,
            heartbeat=heartbeat,
            transport_options={"confirm_publish": confirm_publish},
        )


def durable_queue(name: str) -> Queue:
    """A plain durable queue on the default exchange.

    No x-arguments on purpose: any producer that declares `durable=True` agrees with it, so
    nobody trips over PRECONDITION_FAILED. Dead letters are routed explicitly by billing.
    """
    return Queue(name, exchange=Exchange(""), routing_key=name, durable=True)


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dead"
