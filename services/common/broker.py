"""RabbitMQ connection settings and the billing queues, declared one way by gateway and billing."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from amqp.exceptions import MessageNacked, PreconditionFailed
from kombu import Connection, Exchange, Queue
from kombu.exceptions import KombuError

from services.common.config import Reader
from services.common.errors import CannotStart

log = logging.getLogger(__name__)

# Errors that mean "the broker or the connection to it failed", as raised by kombu/py-amqp.
# MessageNacked is none of kombu's connection or channel errors: it is the broker refusing one
# message (a full queue, a quorum queue that lost its leader), still the broker's failure.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    *Connection().connection_errors,
    *Connection().channel_errors,
    MessageNacked,
    KombuError,
    OSError,
    TimeoutError,
)

# Deliveries of one message before the queue itself dead-letters it. Above what real faults
# cause (every consumer crash or lost connection counts once for each message it held), so
# that it only stops a message that takes its consumer down again and again.
DELIVERY_LIMIT = 20


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


class QueueMismatch(CannotStart):
    """The queue exists with other arguments (a classic queue from before the quorum queue)."""


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dead"


def order_queue(name: str) -> Queue:
    """The replicated queue of orders: a publisher confirm means a majority of nodes has it.

    Its own delivery limit stops a message that keeps coming back, and its dead letters go to
    `<name>.dead` at least once (the message leaves only once the dead-letter queue confirmed
    it, which at-least-once dead-lettering needs `reject-publish` overflow for). A single
    active consumer: billing replicas stand by, and orders are stored in the order they came.
    """
    return _quorum(
        name,
        {
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": "",  # the default exchange: routes by queue name
            "x-dead-letter-routing-key": dead_letter_queue_name(name),
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            "x-single-active-consumer": True,
        },
    )


def dead_letter_queue(queue: str) -> Queue:
    return _quorum(dead_letter_queue_name(queue), {})


def _quorum(name: str, arguments: dict[str, object]) -> Queue:
    return Queue(
        name,
        exchange=Exchange(""),
        routing_key=name,
        durable=True,
        queue_arguments={"x-queue-type": "quorum", **arguments},
    )


def declare_order_queues(connection: Connection, settings: BrokerSettings) -> None:
    """Declares the dead-letter queue, then the queue of orders, on a channel of their own
    (a refused declaration closes its channel).

    Raises QueueMismatch, one line saying what to do, when either exists with other arguments.
    """
    channel = connection.channel()
    try:
        for queue in (dead_letter_queue(settings.queue), order_queue(settings.queue)):
            try:
                queue.bind(channel).declare()
            except PreconditionFailed as error:
                raise QueueMismatch(_mismatch(settings, queue.name, error)) from None
    finally:
        if channel.is_open:
            channel.close()


def check_order_queues(settings: BrokerSettings) -> None:
    """At start: declare the queues once, so that a queue this version cannot use stops the
    process with one line instead of failing every request or reconnect. A broker that does
    not answer yet is no reason to stop: the queues are declared again on every connection."""
    try:
        with settings.connect() as connection:
            connection.ensure_connection(max_retries=0)
            declare_order_queues(connection, settings)
    except BROKER_ERRORS as error:
        log.warning("broker not reachable at start, declaring the queues later: %s", error)


def _mismatch(settings: BrokerSettings, queue: str, error: PreconditionFailed) -> str:
    return (
        f"queue {queue!r} in vhost {settings.vhost!r} exists with other arguments than this "
        f"version declares ({error.reply_text}); it is most likely a classic queue from an "
        "earlier version: stop the gateways, let billing drain it, delete both queues "
        f"(`rabbitmqctl delete_queue -p {settings.vhost} {settings.queue}`, then "
        f"`{dead_letter_queue_name(settings.queue)}`) and start again, or set RABBITMQ_VHOST to "
        "a new vhost (docs/reliability.md, 'Migrating to the quorum queue')"
    )
