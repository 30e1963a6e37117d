"""The publisher against the real RabbitMQ: refusals are 503, a dead connection is retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from falcon import testing
from kombu import Message

from faults.tcp_proxy import TcpProxy
from faults.vhost import Vhost, rabbitmqctl
from services.common.broker import BrokerSettings, dead_letter_queue_name, order_queue
from services.gateway.app import GatewayDeps, create_app
from services.gateway.config import UpstreamSettings
from services.gateway.publisher import OrderPublisher
from services.gateway.upstream import InventoryClient
from tests.harness.backends import MQ_HOST, MQ_PORT, broker_settings, unique

ORDER = {"user_id": 20, "number_of_items": 3, "total_amount": "10.50"}


@pytest.fixture
def vhost() -> Iterator[Vhost]:
    own = Vhost.create()
    yield own
    own.delete()


def gateway(settings: BrokerSettings) -> tuple[testing.TestClient, OrderPublisher]:
    publisher = OrderPublisher(settings, timeout=2.0)
    inventory = InventoryClient(
        UpstreamSettings(
            "http://127.0.0.1:9", connect_timeout=1.0, read_timeout=2.0, stream_timeout=5.0
        ),
        pool_size=1,
    )
    return testing.TestClient(create_app(GatewayDeps(inventory, publisher))), publisher


def message_ids(vhost: Vhost, queue: str, expected: int) -> list[str]:
    """The message ids on `queue`, consumed (a single-active-consumer queue takes no get)."""
    ids: list[str] = []

    def take(message: Message) -> None:
        ids.append(message.properties["message_id"])
        message.ack()

    with vhost.connect() as conn, conn.Consumer(order_queue(queue), on_message=take):
        while len(ids) < expected:
            conn.drain_events(timeout=5)
    return ids


def test_a_publish_the_broker_nacks_is_503_and_never_500(vhost):
    # The broker's own refusal: a policy caps the quorum queue at one message and rejects
    # publishes beyond it, so RabbitMQ nacks them (amqp.exceptions.MessageNacked).
    queue = unique("billing_queue")
    rabbitmqctl(
        "set_policy", "-p", vhost.name, "--apply-to", "queues", "full", f"^{queue}$",
        json.dumps({"max-length": 1, "overflow": "reject-publish"}),
    )  # fmt: skip
    client, publisher = gateway(replace(broker_settings(queue), vhost=vhost.name))
    try:
        statuses = [client.simulate_post("/api/billing", json=ORDER).status_code for _ in range(8)]
    finally:
        publisher.close()
    assert set(statuses) <= {200, 503}, statuses
    assert 503 in statuses
    # Quorum queues apply the limit a little late, so a few are taken; each 200 is queued.
    assert vhost.depth(queue) == statuses.count(200)
    assert vhost.depth(dead_letter_queue_name(queue)) == 0


def test_a_connection_that_died_is_retried_on_a_new_one_with_the_same_message_id(vhost):
    queue = unique("billing_queue")
    relay = TcpProxy((MQ_HOST, MQ_PORT)).start()
    settings = replace(broker_settings(queue, port=relay.port), vhost=vhost.name)
    client, publisher = gateway(settings)
    try:
        first = client.simulate_post("/api/billing", json=ORDER)
        relay.cut()  # resets the publisher's connection ...
        relay.restore()  # ... and takes new ones at once
        second = client.simulate_post("/api/billing", json=ORDER)
    finally:
        publisher.close()
        relay.cut()
    assert (first.status_code, second.status_code) == (200, 200)
    ids = message_ids(vhost, queue, 2)
    assert ids == [first.json["order_id"], second.json["order_id"]]


def test_a_broker_that_stays_away_is_503_after_the_bounded_retries(vhost):
    queue = unique("billing_queue")
    relay = TcpProxy((MQ_HOST, MQ_PORT)).start()
    client, publisher = gateway(replace(broker_settings(queue, port=relay.port), vhost=vhost.name))
    try:
        assert client.simulate_post("/api/billing", json=ORDER).status_code == 200
        relay.cut()
        answer = client.simulate_post("/api/billing", json=ORDER)
    finally:
        publisher.close()
    assert answer.status_code == 503
    assert "did not take the order" in answer.json["description"]
