"""Consuming billing_queue: store a batch, commit, then acknowledge it; never the reverse."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field

from kombu import Connection, Consumer, Message, Producer
from pg8000.exceptions import DatabaseError

from services.billing.config import ConsumerSettings
from services.billing.metrics import BillingMetrics
from services.billing.storage import OrderRecord, OrderStore
from services.common.broker import (
    BROKER_ERRORS,
    BrokerSettings,
    dead_letter_queue_name,
    declare_order_queues,
    order_queue,
)
from services.common.errors import DependencyTimeout, DependencyUnavailable
from services.common.orders import InvalidOrder, parse_order_message

log = logging.getLogger(__name__)

RETRYABLE: tuple[type[BaseException], ...] = (
    *BROKER_ERRORS,
    DependencyUnavailable,
    DependencyTimeout,
)


@dataclass
class ConsumerState:
    """What /readyz reports about the consumer; written by one thread, read by others."""

    consuming: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Delivery:
    message: Message
    record: OrderRecord | None
    problem: str | None


class Backoff:
    def __init__(self, *, first: float = 0.5, most: float = 15.0) -> None:
        self._first, self._most, self._attempt = first, most, 0

    def next_delay(self) -> float:
        ceiling = min(self._most, self._first * 2**self._attempt)
        self._attempt += 1
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security

    def reset(self) -> None:
        self._attempt = 0


class BillingConsumer:
    def __init__(
        self,
        *,
        broker: BrokerSettings,
        settings: ConsumerSettings,
        store: OrderStore,
        metrics: BillingMetrics,
        state: ConsumerState,
    ) -> None:
        self._broker = broker
        self._settings = settings
        self._store = store
        self._metrics = metrics
        self._state = state
        self._pending: list[Message] = []

    def run(self, stop: threading.Event) -> None:
        """Consumes until `stop`; reconnects with backoff when the broker or database fails.

        Raises QueueMismatch (no retry can help) when the queue exists with other arguments.
        """
        backoff = Backoff(most=self._settings.backoff_max_seconds)
        while not stop.is_set():
            try:
                self._session(stop, backoff)
            except RETRYABLE as error:
                delay = backoff.next_delay()
                log.warning("consumer interrupted, retrying in %.1fs: %s", delay, error)
                self._metrics.reconnects.inc()
                stop.wait(delay)
            finally:
                self._state.consuming.clear()
                self._pending = []
        log.info("consumer stopped")

    def _session(self, stop: threading.Event, backoff: Backoff) -> None:
        self._store.ping()  # no point taking messages that cannot be stored
        broker = self._broker.connect(
            confirm_publish=True, heartbeat=self._settings.heartbeat_seconds
        )
        with broker as connection:
            connection.ensure_connection(max_retries=0)
            declare_order_queues(connection, self._broker)
            channel = connection.channel()
            queue = order_queue(self._broker.queue).bind(channel)
            dead_letters = Producer(connection.channel())
            consumer = Consumer(
                channel,
                [queue],
                on_message=self._receive,
                on_decode_error=self._receive_undecodable,
                prefetch_count=self._settings.prefetch,
            )
            with consumer:
                self._state.consuming.set()
                backoff.reset()
                # With a single active consumer this may be standing by: the broker starts
                # delivering here once the active replica's connection is gone.
                log.info("subscribed", extra={"queue": self._broker.queue})
                self._loop(connection, dead_letters, stop)
                # Before the consumer is cancelled: a quorum queue may hand what this
                # consumer holds to the next one once it is cancelled.
                self._flush(dead_letters)

    def _receive(self, message: Message) -> None:
        # A method, not a bound list.append: _flush swaps the list out from under it.
        self._pending.append(message)

    def _receive_undecodable(self, message: Message, error: Exception) -> None:
        # kombu could not unpack it (an unknown or broken `compression` header). Raising, as
        # kombu does by default, crashed billing on every redelivery of that one message and
        # stopped every order behind it; _decode sends it to the dead-letter queue instead.
        self._pending.append(message)

    def _loop(self, connection: Connection, dead_letters: Producer, stop: threading.Event) -> None:
        wait = self._settings.batch_wait_seconds
        first_seen = 0.0
        while not stop.is_set():
            try:
                connection.drain_events(timeout=wait)
            except TimeoutError:  # socket.timeout is TimeoutError: nothing arrived in time
                connection.heartbeat_check()
            if not self._pending:
                continue
            now = time.monotonic()
            first_seen = first_seen or now
            if len(self._pending) >= self._settings.batch_size or now - first_seen >= wait:
                self._flush(dead_letters)
                first_seen = 0.0

    def _flush(self, dead_letters: Producer) -> None:
        # Take the batch first: messages that arrive while it is stored go to the next one.
        batch, self._pending = self._pending, []
        if not batch:
            return
        deliveries = [_decode(message) for message in batch]
        self._store_batch([d for d in deliveries if d.record is not None], dead_letters)
        for delivery in deliveries:
            if delivery.problem is not None:
                self._dead_letter(dead_letters, delivery.message, delivery.problem)
        # The rows are committed: now, and only now, the broker may forget the messages.
        batch[-1].ack(multiple=True)

    def _store_batch(self, deliveries: list[Delivery], dead_letters: Producer) -> None:
        started = time.perf_counter()
        try:
            added = self._store.insert([d.record for d in deliveries if d.record])
        except DatabaseError as error:
            # Not a connection failure (those are retried whole): some row is unstorable.
            log.warning("batch rejected by the database, storing one by one: %s", error)
            added = self._store_one_by_one(deliveries, dead_letters)
        self._metrics.observe_batch(len(deliveries), added, time.perf_counter() - started)

    def _store_one_by_one(self, deliveries: list[Delivery], dead_letters: Producer) -> int:
        added = 0
        for delivery in deliveries:
            try:
                added += self._store.insert([delivery.record] if delivery.record else [])
            except DatabaseError as error:
                reason = f"the database rejected it: {error}"[:500]
                self._dead_letter(dead_letters, delivery.message, reason)
        return added

    def _dead_letter(self, dead_letters: Producer, message: Message, reason: str) -> None:
        message_id = message.properties.get("message_id")
        log.warning("dead-lettering message", extra={"reason": reason, "message_id": message_id})
        headers = dict(message.headers or {})
        headers["x-dead-letter-reason"] = reason
        headers["x-original-queue"] = self._broker.queue
        dead_letters.publish(
            message.body,
            routing_key=dead_letter_queue_name(self._broker.queue),
            exchange="",
            headers=headers,
            delivery_mode=2,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            message_id=message_id,
            retry=False,
        )
        self._metrics.dead_lettered.inc()


def _decode(message: Message) -> Delivery:
    if message.errors:  # set by kombu when it could not unpack the body
        return Delivery(message, None, f"cannot unpack the message: {message.errors[0][1]!r}")
    try:
        order = parse_order_message(message.body)
    except InvalidOrder as error:
        return Delivery(message, None, str(error))
    message_id = message.properties.get("message_id")
    request_id = (message.headers or {}).get("x-request-id")
    record = OrderRecord(order, _text(message_id), _text(request_id))
    return Delivery(message, record, None)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
