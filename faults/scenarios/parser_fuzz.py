"""Hypothesis against the order parser that gateway and billing share, with storage in a
real billing database as the judge of "valid"."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from faults.context import Context
from faults.result import Result
from services.billing.storage import OrderRecord, OrderStore, migrate
from services.common.db import ConnectionPool, DbSettings
from services.common.orders import (
    MAX_AMOUNT,
    MAX_ID,
    MAX_ITEMS,
    InvalidOrder,
    Order,
    parse_order_message,
)
from tests.harness.backends import PG_HOST, PG_PASSWORD, PG_PORT, PG_USER, Database

NAME = "parser-fuzz"
CLAIM = (
    "Hypothesis feeds the message parser arbitrary bytes, arbitrary JSON and near-valid "
    "orders (numbers as ints, floats, exponent strings, huge and tiny values): it either "
    "returns an order or raises InvalidOrder, nothing else; every order it accepts round-trips "
    "through its own message and is stored by the real billing table (no CHECK or range "
    "error), so no accepted message can become a poison batch."
)

_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.from_regex(r"\A\s*[-+]?\d{0,25}(\.\d{0,6})?([eE][-+]?\d{1,12})?\s*\Z").map(str),
    st.text(max_size=20),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
_near_orders = st.fixed_dictionaries(
    {},
    optional={"user_id": _numbers, "number_of_items": _numbers, "total_amount": _numbers},
)


def _spelled(value: st.SearchStrategy) -> st.SearchStrategy:
    """The same number as a JSON number, a string, or a padded exponent string."""
    return value.flatmap(lambda n: st.sampled_from([n, str(n), f" {n} ", f"{n}e0", f"{n}0e-1"]))


# In range, spelled every way a client might: what the gateway and billing must accept.
_plausible = st.fixed_dictionaries(
    {
        "user_id": _spelled(st.integers(min_value=1, max_value=MAX_ID)),
        "number_of_items": _spelled(st.integers(min_value=1, max_value=MAX_ITEMS)),
        "total_amount": _spelled(
            st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2, allow_nan=False)
        ),
    }
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


class Tally:
    def __init__(self) -> None:
        self.examples = 0
        self.accepted: list[Order] = []
        self.failures: list[str] = []

    def check(self, body: bytes) -> None:
        self.examples += 1
        try:
            order = parse_order_message(body)
        except InvalidOrder:
            return
        except Exception as error:
            self.failures.append(f"{type(error).__name__} for {body[:120]!r}")
            return
        if parse_order_message(order.to_message()) != order:
            self.failures.append(f"does not round-trip: {body[:120]!r}")
        self.accepted.append(order)


def _encode(value: object) -> bytes:
    return json.dumps(value, default=str).encode()


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    tally = Tally()
    budget = settings(
        max_examples=ctx.scale(3000, 800),
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    strategies = (st.binary(max_size=300), _json, _near_orders, _plausible)
    for strategy in strategies:
        made = strategy if strategy is strategies[0] else strategy.map(_encode)
        budget(seed(ctx.seed)(given(made)(tally.check)))()
    result.figures.sent = tally.examples
    result.figures.acknowledged = len(tally.accepted)
    result.figures.stored = _store(tally.accepted)
    result.failures.extend(tally.failures[:10])
    result.expect(
        result.figures.stored == len(set(tally.accepted)),
        f"stored {result.figures.stored} of {len(set(tally.accepted))} distinct accepted orders",
    )
    result.expect(len(tally.accepted) > budget.max_examples // 2, "too few valid orders made")
    result.notes.append(
        f"{tally.examples} messages; '200' = accepted by the parser, 'stored' = those rows the "
        "real table took (distinct orders, each under its own message id)"
    )
    return result


def _store(orders: list[Order]) -> int:
    """Every accepted order must be storable: a DB error here means a parser gap."""
    distinct = list(dict.fromkeys(orders))
    db = Database.create("movies_faults_parser")
    pool = ConnectionPool(
        DbSettings(PG_HOST, PG_PORT, db.name, PG_USER, PG_PASSWORD or "trust"), migrate
    )
    try:
        store = OrderStore(pool)
        records = [OrderRecord(o, f"m{i}", None) for i, o in enumerate(distinct)]
        return sum(store.insert(records[i : i + 500]) for i in range(0, len(records), 500))
    finally:
        pool.close_all()
        db.drop()
