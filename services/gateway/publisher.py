"""Publishing orders to billing_queue: persistent, confirmed, one connection per thread."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

from kombu import Connection, Producer

from services.common.broker import (
    BROKER_ERRORS,
    BrokerSettings,
    QueueMismatch,
    declare_order_queues,
)
from services.common.errors import DependencyUnavailable

log = logging.getLogger(__name__)

# Tries of one message before the client hears 503, each on a fresh connection after the
# first, and the pause before each retry: long enough for a quorum queue to elect a new leader
# after its node died, short enough that the client is answered within its own timeout.
PUBLISH_ATTEMPTS = 3
RETRY_PAUSES = (0.0, 0.5)


@dataclass
class _ThreadLink:
    connection: Connection
    producer: Producer


class OrderPublisher:
    """Returns from publish() only once RabbitMQ confirmed the message is safely queued.

    Each waitress thread keeps its own connection and confirm-mode channel (py-amqp channels
    are not thread-safe), so confirms from concurrent requests never wait on each other.
    """

    def __init__(self, settings: BrokerSettings, *, timeout: float) -> None:
        self._settings = settings
        self._timeout = timeout
        self._local = threading.local()
        self._links: set[Connection] = set()
        self._links_lock = threading.Lock()

    def publish(self, body: bytes, *, message_id: str, request_id: str) -> None:
        """Raises DependencyUnavailable when the broker did not confirm the message.

        A failed try (connection reset, channel closed, nack, no confirm in time) is retried
        on a fresh connection with the same message id: billing stores each message id once,
        so a message the broker took without its confirm reaching us is not stored twice.
        The retries stop once the first try's timeout is spent, so a client waits at most
        about twice PUBLISH_TIMEOUT_SECONDS.
        """
        give_up = time.monotonic() + self._timeout
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                self._publish_once(body, message_id, request_id)
                return
            except QueueMismatch as error:
                self._drop()
                raise DependencyUnavailable(str(error)) from None
            except BROKER_ERRORS as error:
                self._drop()
                last = attempt + 1 == PUBLISH_ATTEMPTS or time.monotonic() >= give_up
                if last:
                    raise DependencyUnavailable(
                        f"the message broker did not take the order: {error!r}"
                    ) from error
                log.info("publish failed (%r), retrying on a new connection", error)
                time.sleep(RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)])

    def ping(self) -> None:
        """Asserts the broker answers and the queue exists, on this thread's connection."""
        try:
            self._link().producer.channel.queue_declare(queue=self._settings.queue, passive=True)
        except BROKER_ERRORS:
            self._drop()
            raise

    def close(self) -> None:
        with self._links_lock:
            links = list(self._links)
        for connection in links:
            _release(connection)

    def _publish_once(self, body: bytes, message_id: str, request_id: str) -> None:
        self._link().producer.publish(
            body,
            routing_key=self._settings.queue,
            exchange="",
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            mandatory=True,
            message_id=message_id,
            headers={"x-request-id": request_id},
            retry=False,
            timeout=self._timeout,
        )

    def _link(self) -> _ThreadLink:
        link: _ThreadLink | None = getattr(self._local, "link", None)
        if link is None:
            link = self._connect()
            self._local.link = link
        return link

    def _connect(self) -> _ThreadLink:
        connection = self._settings.connect(confirm_publish=True)
        try:
            # max_retries=0: fail at once, so that a client hears 503 now, not after backoff.
            connection.ensure_connection(max_retries=0)
            declare_order_queues(connection, self._settings)
            channel = connection.channel()
        except BaseException:
            _release(connection)
            raise
        with self._links_lock:
            self._links.add(connection)
        return _ThreadLink(connection, Producer(channel))

    def _drop(self) -> None:
        link: _ThreadLink | None = getattr(self._local, "link", None)
        self._local.link = None
        if link is not None:
            with self._links_lock:
                self._links.discard(link.connection)
            _release(link.connection)


def _release(connection: Connection) -> None:
    with contextlib.suppress(Exception):  # a broken connection is being discarded anyway
        connection.release()
