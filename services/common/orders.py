"""The order a client sends and the message on billing_queue carry the same three fields.

One parser serves both: the gateway rejects a bad order with 400, billing sends a bad message
to the dead-letter queue. Amounts are Decimals end to end so that no cent is lost to floats.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from services.common.environment import MAX_BODY_BYTES
from services.common.ids import MAX_ID

MAX_ITEMS = 1_000_000
MAX_AMOUNT = Decimal("9999999999.99")  # NUMERIC(12, 2)
MAX_MESSAGE_BYTES = MAX_BODY_BYTES


class InvalidOrder(ValueError):
    """The order cannot be processed, ever; the message says why."""


@dataclass(frozen=True)
class Order:
    user_id: int
    number_of_items: int
    total_amount: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "number_of_items": self.number_of_items,
            "total_amount": str(self.total_amount),
        }

    def to_message(self) -> bytes:
        return orjson.dumps(self.to_json())


def parse_order(data: Any) -> Order:
    if not isinstance(data, dict):
        raise InvalidOrder("the order must be a JSON object")
    return Order(
        user_id=_integer(data, "user_id", minimum=1, maximum=MAX_ID),
        number_of_items=_integer(data, "number_of_items", minimum=1, maximum=MAX_ITEMS),
        total_amount=_amount(data, "total_amount"),
    )


def parse_order_message(body: bytes) -> Order:
    if len(body) > MAX_MESSAGE_BYTES:
        raise InvalidOrder(f"message larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError) as error:
        raise InvalidOrder(f"message is not JSON: {error}"[:200]) from None
    return parse_order(data)


def _number(data: dict[str, Any], field: str) -> Decimal:
    if field not in data:
        raise InvalidOrder(f"{field} is required")
    value = data[field]
    # bool is an int in Python, but `true` items is a client bug, not the number 1.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise InvalidOrder(f"{field} must be a number or a numeric string")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError):
        raise InvalidOrder(f"{field} must be a number or a numeric string") from None
    if not number.is_finite():
        raise InvalidOrder(f"{field} must be a finite number")
    return number


def _integer(data: dict[str, Any], field: str, *, minimum: int, maximum: int) -> int:
    number = _number(data, field)
    if number != number.to_integral_value():
        raise InvalidOrder(f"{field} must be a whole number")
    if not minimum <= number <= maximum:
        raise InvalidOrder(f"{field} must be between {minimum} and {maximum}")
    return int(number)


def _amount(data: dict[str, Any], field: str) -> Decimal:
    number = _number(data, field)
    if not Decimal(0) <= number <= MAX_AMOUNT:
        raise InvalidOrder(f"{field} must be between 0 and {MAX_AMOUNT}")
    if number != number.quantize(Decimal("0.01")):
        raise InvalidOrder(f"{field} must have at most two decimal places")
    return number.quantize(Decimal("0.01"))
