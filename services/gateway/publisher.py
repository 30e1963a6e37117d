"""Publishing orders to billing_queue: persistent, confirmed, one connection per thread."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

from kombu import Connection, Producer

from services.common.broker import BROKER_ERRORS, BrokerSettings, durable_queue
from services.common.errors import DependencyUnavailable

log = logging.getLogger(__name__)


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
        self._queue = durable_queue(settings.queue)
        self._local = threading.local()
        self._links: set[Connection] = set()
        self._links_lock = threading.Lock()

    def publish(self, body: bytes, *, message_id: str, request_id: str) -> None:
        """Raises DependencyUnavailable when the broker did not confirm the message."""
        try:
            self._publish_once(body, message_id, request_id)
        except BROKER_ERRORS as first:
            # The thread's connection may have died while idle; a retry with the same
            # message id is safe because billing stores each message id once.
            log.info("publish failed (%s), retrying on a new connection", first)
            self._drop()
            try:
                self._publish_once(body, message_id, request_id)
            except BROKER_ERRORS as error:
                self._drop()
                raise DependencyUnavailable(
                    f"the message broker is unavailable: {error}"
                ) from error

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
            channel = connection.channel()
            self._queue.bind(channel).declare()
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
