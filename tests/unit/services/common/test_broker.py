"""The one declaration of the billing queues, and which errors count as the broker's."""

from __future__ import annotations

from amqp.exceptions import MessageNacked, PreconditionFailed

from services.common.broker import (
    BROKER_ERRORS,
    DELIVERY_LIMIT,
    dead_letter_queue,
    order_queue,
)


def test_a_nack_is_a_broker_error_so_it_is_answered_503():
    assert issubclass(MessageNacked, BROKER_ERRORS)
    assert issubclass(PreconditionFailed, BROKER_ERRORS)


def test_the_order_queue_is_a_replicated_queue_that_dead_letters_at_least_once():
    queue = order_queue("orders")
    assert queue.durable
    assert not queue.auto_delete
    assert queue.queue_arguments == {
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "orders.dead",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        "x-single-active-consumer": True,
    }


def test_the_dead_letter_queue_is_replicated_too():
    dead = dead_letter_queue("orders")
    assert dead.name == "orders.dead"
    assert dead.durable
    assert dead.queue_arguments == {"x-queue-type": "quorum"}
