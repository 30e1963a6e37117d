"""Poison messages put straight on the queue, between good ones."""

from __future__ import annotations

import json
import uuid

import requests
from kombu import Producer

from faults.context import Context
from faults.flow import order_body
from faults.result import Result, account_orders
from faults.stack import FaultStack, wait_for

NAME = "poison"
CLAIM = (
    "Messages no order can come from (not JSON, bad UTF-8, wrong types, missing fields, out "
    "of range, too precise, huge, deeply nested, compressed by an unknown or broken codec) "
    "are published straight onto the queue between good ones: each poison message ends up "
    "in `<queue>.dead` with its reason, every good one is stored once, and the consumer "
    "keeps going."
)

_NESTED = b"[" * 100_000 + b"]" * 100_000


# Envelopes kombu itself cannot open: it decompresses by the `compression` header before
# billing ever sees the body.
POISON_HEADERS: list[tuple[bytes, dict[str, str]]] = [
    (json.dumps(order_body(1)).encode(), {"compression": "application/x-unknown"}),
    (b"not zlib data", {"compression": "application/x-gzip"}),
]


def poison_bodies() -> list[bytes]:
    def order(**changes: object) -> bytes:
        body = {**order_body(1), **changes}
        return json.dumps({k: v for k, v in body.items() if v is not _MISSING}).encode()

    return [
        b"",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b'{"user_id": 1,',
        b"null",
        b"[1, 2, 3]",
        b'"a string"',
        _NESTED,
        order(user_id="abc"),
        order(user_id=None),
        order(user_id=True),
        order(user_id=[1]),
        order(user_id={"x": 1}),
        order(user_id=0),
        order(user_id=-5),
        order(user_id=2**63),
        order(user_id=1.5),
        order(number_of_items=0),
        order(number_of_items=10**7),
        order(number_of_items="NaN"),
        order(total_amount="-0.01"),
        order(total_amount="1.001"),
        order(total_amount="Infinity"),
        order(total_amount="1e999999999"),
        order(total_amount="10000000000.00"),
        order(user_id=_MISSING),
        order(number_of_items=_MISSING),
        order(total_amount=_MISSING),
        order(description="x" * (1 << 20)),  # a valid order in a 1 MiB message
        json.dumps({"user_id": "9" * 5000, "number_of_items": 1, "total_amount": 1}).encode(),
    ]


_MISSING = object()


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    stack = FaultStack.create(ctx.workdir / NAME).start()
    try:
        poison = [(body, {}) for body in poison_bodies()] + POISON_HEADERS
        rounds = ctx.scale(20, 5)
        good = _publish(stack, poison, rounds)
        expected_dead = len(poison) * rounds
        wait_for(lambda: stack.dead_lettered() >= expected_dead, timeout=60)
        stack.settle()
        result.figures.dead_lettered = stack.dead_lettered()
        result.expect(
            result.figures.dead_lettered == expected_dead,
            f"{result.figures.dead_lettered} dead-lettered, expected {expected_dead}",
        )
        account_orders(
            result, sent=len(good), acknowledged=set(good), stored_user_ids=stack.stored_user_ids()
        )
        result.figures.sent += expected_dead
        result.expect(stack.stored_count() == len(good), "stored rows differ from good messages")
        result.notes.append(
            f"{rounds} rounds of {len(poison)} poison messages, each followed by a good one and "
            "a redelivered copy of it (same message id); 'sent' counts both kinds, '200' the good"
        )
        _check_reasons(stack, result, expected_dead)
        _check_still_consuming(stack, result)
    finally:
        stack.destroy()
    return result


def _publish(
    stack: FaultStack, poison: list[tuple[bytes, dict[str, str]]], rounds: int
) -> list[int]:
    """Publishes the poison with a good order after each; returns the good orders' user ids."""
    good: list[int] = []
    with stack.vhost.connect() as conn:
        producer = Producer(conn.channel())
        for round_ in range(rounds):
            for index, (body, headers) in enumerate(poison):
                user_id = 1 + round_ * len(poison) + index
                _send(producer, stack.queue, body, headers=headers)
                message_id = uuid.uuid4().hex
                good_body = json.dumps(order_body(user_id)).encode()
                # The good order twice under one id: a redelivery must not make a second row.
                _send(producer, stack.queue, good_body, message_id)
                _send(producer, stack.queue, good_body, message_id)
                good.append(user_id)
    return good


def _send(
    producer: Producer,
    queue: str,
    body: bytes,
    message_id: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    producer.publish(
        body,
        routing_key=queue,
        exchange="",
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,
        message_id=message_id or uuid.uuid4().hex,
        headers=headers or {},
        retry=False,
    )


def _check_reasons(stack: FaultStack, result: Result, expected: int) -> None:
    """Every dead letter says why it is there, so that someone can act on it."""
    unexplained = 0
    with stack.vhost.connect() as conn:
        channel = conn.channel()
        for _ in range(expected):  # bounded: exactly what was dead-lettered
            message = channel.basic_get(queue=f"{stack.queue}.dead", no_ack=True)
            if message is None:
                break
            headers = message.headers or {}
            unexplained += not headers.get("x-dead-letter-reason")
    result.expect(unexplained == 0, f"{unexplained} dead letters without a reason")


def _check_still_consuming(stack: FaultStack, result: Result) -> None:
    """One more order through the gateway after all the poison must still be stored."""
    before = stack.stored_count()
    answer = requests.post(f"{stack.gateway.url}/api/billing", json=order_body(10**9), timeout=10)
    result.expect(answer.status_code == 200, f"gateway answered {answer.status_code} after poison")
    took = wait_for(lambda: stack.stored_count() > before, timeout=30)
    result.expect(took is not None, "the consumer stopped storing after the poison")
    result.figures.recovered(took)
