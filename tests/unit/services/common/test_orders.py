"""The one order parser behind the gateway's 400s and billing's dead letters."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from services.common.orders import (
    MAX_AMOUNT,
    MAX_ID,
    MAX_ITEMS,
    MAX_MESSAGE_BYTES,
    InvalidOrder,
    Order,
    parse_order,
    parse_order_message,
)

GOOD = {"user_id": 7, "number_of_items": 2, "total_amount": "19.90"}


def test_numeric_strings_are_numbers_as_the_audit_sends_them():
    order = parse_order({"user_id": "20", "number_of_items": " 3 ", "total_amount": "5"})
    assert order == Order(20, 3, Decimal("5.00"))


def test_json_numbers_and_exact_decimals_are_accepted():
    order = parse_order({"user_id": 1, "number_of_items": 1.0, "total_amount": Decimal("0.10")})
    assert order == Order(1, 1, Decimal("0.10"))
    assert str(order.total_amount) == "0.10"


def test_the_bounds_themselves_are_accepted():
    order = parse_order({"user_id": MAX_ID, "number_of_items": MAX_ITEMS, "total_amount": 0})
    assert (order.user_id, order.number_of_items, order.total_amount) == (
        MAX_ID,
        MAX_ITEMS,
        Decimal("0.00"),
    )
    assert parse_order({**GOOD, "total_amount": str(MAX_AMOUNT)}).total_amount == MAX_AMOUNT


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"user_id": True}, "user_id must be a number"),
        ({"user_id": None}, "user_id must be a number"),
        ({"user_id": [1]}, "user_id must be a number"),
        ({"user_id": "seven"}, "user_id must be a number"),
        ({"user_id": 0}, "user_id must be between 1"),
        ({"user_id": MAX_ID + 1}, "user_id must be between 1"),
        ({"user_id": 1.5}, "user_id must be a whole number"),
        ({"number_of_items": -1}, "number_of_items must be between 1 and 1000000"),
        ({"number_of_items": MAX_ITEMS + 1}, "number_of_items must be between"),
        ({"number_of_items": "NaN"}, "number_of_items must be a finite number"),
        ({"total_amount": "Infinity"}, "total_amount must be a finite number"),
        ({"total_amount": "-0.01"}, "total_amount must be between 0"),
        ({"total_amount": str(MAX_AMOUNT + Decimal("0.01"))}, "total_amount must be between"),
        ({"total_amount": "1.001"}, "at most two decimal places"),
    ],
)
def test_a_wrong_field_is_named_with_what_is_wrong(change, reason):
    with pytest.raises(InvalidOrder, match=reason):
        parse_order({**GOOD, **change})


@pytest.mark.parametrize("field", sorted(GOOD))
def test_each_field_is_required(field):
    body = {k: v for k, v in GOOD.items() if k != field}
    with pytest.raises(InvalidOrder, match=f"{field} is required"):
        parse_order(body)


@pytest.mark.parametrize("body", [[GOOD], "order", 3, None])
def test_the_order_must_be_an_object(body):
    with pytest.raises(InvalidOrder, match="JSON object"):
        parse_order(body)


def test_a_message_carries_the_order_unchanged():
    order = parse_order(GOOD)
    message = order.to_message()
    assert json.loads(message) == {"user_id": 7, "number_of_items": 2, "total_amount": "19.90"}
    assert parse_order_message(message) == order


def test_a_float_amount_in_a_message_keeps_its_cents():
    message = b'{"user_id": 1, "number_of_items": 1, "total_amount": 0.29}'
    assert parse_order_message(message).total_amount == Decimal("0.29")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "message is not JSON"),
        (b"\xff\xfe", "message is not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "message larger than"),
        (b"[" * 50_000, "message is not JSON"),
        (b'"an order"', "JSON object"),
    ],
)
def test_a_message_that_can_never_be_an_order_says_why(body, reason):
    with pytest.raises(InvalidOrder, match=reason):
        parse_order_message(body)


def test_the_message_limit_is_inclusive():
    padding = MAX_MESSAGE_BYTES - len(json.dumps(GOOD)) - len(', "pad": ""')
    body = json.dumps({**GOOD, "pad": "x" * padding}).encode()
    assert len(body) == MAX_MESSAGE_BYTES
    assert parse_order_message(body) == parse_order(GOOD)
