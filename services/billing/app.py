"""Billing's HTTP side: probes and metrics. Its real work is the consumer."""

from __future__ import annotations

import falcon
from prometheus_client import CollectorRegistry

from services.billing.consumer import ConsumerState
from services.billing.storage import OrderStore
from services.common.app import new_app


def create_app(
    *, store: OrderStore, state: ConsumerState, registry: CollectorRegistry
) -> falcon.App:
    return new_app(
        registry=registry,
        checks={"database": store.ping, "broker": lambda: _consuming(state)},
    )


def _consuming(state: ConsumerState) -> None:
    if not state.consuming.is_set():
        raise ConnectionError("not consuming from the broker (reconnecting)")
