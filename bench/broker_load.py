"""Publishing to RabbitMQ from the bench: the drain backlog and the broker's own ceilings.

py-amqp is used directly (kombu's transport underneath the services) so that confirms can be
pipelined, which kombu's publish() cannot do: it always waits for each confirm.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import amqp

from bench.wrk import BenchError
from services.common.broker import order_queue
from services.common.orders import Order
from tests.harness.backends import MQ_HOST, MQ_PASSWORD, MQ_PORT, MQ_USER, unique

# Unconfirmed messages allowed in flight when pipelining: enough to hide the fsync latency.
WINDOW = 500
CEILING_BATCH = 10_000


@contextmanager
def channel(queue: str) -> Iterator[amqp.Channel]:
    """A channel on a fresh connection, with the durable queue declared as the services do."""
    conn = amqp.Connection(
        host=f"{MQ_HOST}:{MQ_PORT}", userid=MQ_USER, password=MQ_PASSWORD, connect_timeout=5
    )
    conn.connect()
    try:
        chan = conn.channel()
        _declare(chan, queue)
        yield chan
    finally:
        conn.close()


def _declare(chan: amqp.Channel, queue: str) -> Any:
    """The services' own quorum declaration: any other arguments are refused by the broker."""
    return chan.queue_declare(
        queue=queue, durable=True, auto_delete=False, arguments=order_queue(queue).queue_arguments
    )


def purge_when_settled(queue: str, *, quiet_seconds: float = 0.5, most: float = 10.0) -> None:
    """Purges once no message arrived for `quiet_seconds`: the gateway still publishes the
    orders wrk abandoned in flight when it stopped, and those must not leak into the next
    phase."""
    with channel(queue) as chan:
        deadline = time.monotonic() + most
        depth = -1
        while time.monotonic() < deadline:
            now = _declare(chan, queue).message_count
            if now == depth:
                break
            depth = now
            time.sleep(quiet_seconds)
        chan.queue_purge(queue)


def delete_queue(queue: str) -> None:
    with channel(queue) as chan:
        chan.queue_delete(queue)


def order_message(user_id: int) -> amqp.Message:
    """The message the gateway publishes for one order (same body and properties)."""
    body = Order(user_id, 2, Decimal("20.00")).to_message()
    return amqp.Message(
        body,
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,
        message_id=uuid.uuid4().hex,
        application_headers={"x-request-id": uuid.uuid4().hex},
    )


def publish_pipelined(queue: str, count: int) -> float:
    """Publishes `count` persistent orders with confirms, WINDOW in flight; returns msgs/s."""
    with channel(queue) as chan:
        acked = _confirm_counter(chan)
        started = time.perf_counter()
        for sent in range(1, count + 1):
            chan.basic_publish(order_message(sent), exchange="", routing_key=queue)
            while sent - acked["tag"] >= WINDOW:
                chan.connection.drain_events(timeout=10)
        while acked["tag"] < count:
            chan.connection.drain_events(timeout=10)
        elapsed = time.perf_counter() - started
    if acked["nacked"]:
        raise BenchError(f"RabbitMQ refused {acked['nacked']} of the backlog messages")
    return count / elapsed


def publish_for(queue: str, seconds: float, *, confirm_each: bool) -> float:
    """Publishes persistent orders one by one for `seconds`; returns msgs/s."""
    with channel(queue) as chan:
        if confirm_each:
            chan.confirm_select()
        publish = chan.basic_publish_confirm if confirm_each else chan.basic_publish
        sent, started = 0, time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            publish(order_message(sent + 1), exchange="", routing_key=queue)
            sent += 1
        elapsed = time.perf_counter() - started
        chan.queue_purge(queue)
    return sent / elapsed


def measure_ceilings(seconds: float) -> dict[str, float]:
    """Persistent publishes/s: waiting for each confirm, pipelined confirms, no confirms."""
    queue = unique("bench_ceiling")
    try:
        rates = {
            "confirm_each_per_s": publish_for(queue, seconds, confirm_each=True),
            "confirm_pipelined_per_s": publish_pipelined(queue, CEILING_BATCH),
            "no_confirm_per_s": publish_for(queue, seconds, confirm_each=False),
        }
    finally:
        delete_queue(queue)
    return {name: round(rate, 1) for name, rate in rates.items()}


def _confirm_counter(chan: amqp.Channel) -> dict[str, int]:
    state = {"tag": 0, "nacked": 0}

    def on_ack(tag: int, multiple: bool) -> None:
        state["tag"] = max(state["tag"], tag)

    def on_nack(tag: int, multiple: bool) -> None:
        state["nacked"] += 1
        on_ack(tag, multiple)

    chan.confirm_select()
    chan.events["basic_ack"].add(on_ack)
    chan.events["basic_nack"].add(on_nack)
    return state
