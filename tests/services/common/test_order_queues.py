"""The queues as declared on the real RabbitMQ: replicated, and dead-lettering by themselves."""

from __future__ import annotations

import contextlib
import time

from kombu import Message

from services.common.broker import DELIVERY_LIMIT, declare_order_queues, order_queue
from tests.harness.backends import QueueName, broker, broker_settings


def test_declaring_twice_agrees_and_the_queues_are_quorum_queues(queue: QueueName):
    with broker() as conn:
        declare_order_queues(conn, broker_settings(queue.name))
        declare_order_queues(conn, broker_settings(queue.name))  # as gateway, then billing
        for name in (queue.name, queue.dead):
            _, count, _ = conn.default_channel.queue_declare(name, passive=True)
            assert count == 0


def test_a_message_that_keeps_coming_back_is_dead_lettered_by_the_queue_itself(queue):
    deliveries: list[int] = []

    def refuse(message: Message) -> None:
        deliveries.append(int((message.headers or {}).get("x-delivery-count", 0)))
        message.requeue()  # as a consumer that dies holding it would return it

    with broker() as conn:
        declare_order_queues(conn, broker_settings(queue.name))
        conn.Producer(conn.channel()).publish(
            b'{"user_id": 1}', routing_key=queue.name, exchange="", delivery_mode=2
        )
        with conn.Consumer(order_queue(queue.name), on_message=refuse):
            deadline = time.monotonic() + 30
            while queue.depth(queue.dead) == 0 and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    conn.drain_events(timeout=0.5)
        dead = conn.channel().basic_get(queue.dead, no_ack=True)
    assert len(deliveries) == DELIVERY_LIMIT + 1
    assert dead is not None
    assert dead.body == b'{"user_id": 1}'
    assert dead.headers["x-first-death-reason"] == "delivery_limit"
    assert queue.depth() == 0
