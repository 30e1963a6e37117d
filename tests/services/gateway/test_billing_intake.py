"""POST /api/billing through the gateway app, publishing to the real RabbitMQ."""

from __future__ import annotations

import json
import time

import pytest
from kombu import Message

from faults.misbehaving import refused_port
from services.common.broker import order_queue
from tests.harness.backends import broker

ORDER = {"user_id": "20", "number_of_items": "3", "total_amount": "10.5"}


def take_message(queue_name: str) -> Message:
    """Consumes one message (a queue with a single active consumer refuses basic.get)."""
    got: list[Message] = []
    with broker() as conn, conn.Consumer(order_queue(queue_name), on_message=got.append):
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            conn.drain_events(timeout=deadline - time.monotonic())
        got[0].ack()
    return got[0]


def test_confirmed_order_is_a_persistent_message(make_gateway, queue):
    client = make_gateway()
    answer = client.simulate_post("/api/billing", json=ORDER, headers={"X-Request-ID": "rid-1"})
    assert answer.status_code == 200
    assert answer.json["user_id"] == 20
    assert answer.json["total_amount"] == "10.50"
    message = take_message(queue.name)
    assert json.loads(message.body) == {
        "user_id": 20,
        "number_of_items": 3,
        "total_amount": "10.50",
    }
    assert message.properties["delivery_mode"] == 2
    assert message.properties["message_id"] == answer.json["order_id"]
    assert message.headers["x-request-id"] == "rid-1"


@pytest.mark.parametrize(
    "order",
    [
        {"user_id": 7, "number_of_items": 1, "total_amount": 0},
        {"user_id": 7, "number_of_items": 2, "total_amount": 19.99},
        {"user_id": " 7 ", "number_of_items": "2.0", "total_amount": "1e2"},
    ],
)
def test_numbers_and_numeric_strings_are_accepted(make_gateway, order):
    assert make_gateway().simulate_post("/api/billing", json=order).status_code == 200


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        ({**ORDER, "user_id": -1}, "user_id must be between"),
        ({**ORDER, "number_of_items": "0"}, "number_of_items must be between"),
        ({**ORDER, "total_amount": "-0.01"}, "total_amount must be between"),
        ({**ORDER, "total_amount": "1.001"}, "two decimal places"),
        ({**ORDER, "number_of_items": 1.5}, "whole number"),
        ({**ORDER, "user_id": True}, "number or a numeric string"),
        ({**ORDER, "user_id": "twenty"}, "number or a numeric string"),
        ({**ORDER, "user_id": None}, "number or a numeric string"),
        ({**ORDER, "total_amount": "NaN"}, "finite"),
        ({"user_id": 1, "number_of_items": 1}, "total_amount is required"),
        ([ORDER], "JSON object"),
    ],
)
def test_invalid_orders_are_400_and_never_queued(make_gateway, queue, order, reason):
    answer = make_gateway().simulate_post("/api/billing", json=order)
    assert answer.status_code == 400
    assert reason in answer.json["description"]
    assert queue.depth() == 0


def test_body_errors(make_gateway, queue):
    client = make_gateway(max_body_bytes=200)
    assert (
        client.simulate_post("/api/billing", body="{", content_type="application/json").status_code
        == 400
    )
    assert (
        client.simulate_post(
            "/api/billing", body="a=b", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 415
    )
    big = json.dumps({**ORDER, "pad": "x" * 500})
    assert (
        client.simulate_post("/api/billing", body=big, content_type="application/json").status_code
        == 413
    )
    assert client.simulate_get("/api/billing").status_code == 405
    assert queue.depth() == 0


def test_broker_down_is_503_quickly_and_reported_but_still_ready(make_gateway):
    client = make_gateway(broker_port=refused_port())
    started = time.monotonic()
    answer = client.simulate_post("/api/billing", json=ORDER)
    assert answer.status_code == 503
    assert time.monotonic() - started < 1.0
    assert answer.json["title"] == "Service Unavailable"
    ready = client.simulate_get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["broker"].startswith("failed")
    assert client.simulate_get("/healthz").status_code == 200


def test_idempotency_key_becomes_a_per_user_message_id(make_gateway, queue):
    client = make_gateway()
    first = client.simulate_post("/api/billing", json=ORDER, headers={"Idempotency-Key": "k-1"})
    again = client.simulate_post("/api/billing", json=ORDER, headers={"Idempotency-Key": "k-1"})
    other = client.simulate_post(
        "/api/billing", json={**ORDER, "user_id": 21}, headers={"Idempotency-Key": "k-1"}
    )
    assert first.json["order_id"] == again.json["order_id"] == "idem:20:k-1"
    assert other.json["order_id"] == "idem:21:k-1"
    assert take_message(queue.name).properties["message_id"] == "idem:20:k-1"


def test_malformed_idempotency_key_is_400_and_not_queued(make_gateway, queue):
    answer = make_gateway().simulate_post(
        "/api/billing", json=ORDER, headers={"Idempotency-Key": "has spaces"}
    )
    assert answer.status_code == 400
    assert answer.json["title"] == "Invalid Idempotency-Key"
    assert queue.depth() == 0
