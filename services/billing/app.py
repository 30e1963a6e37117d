"""Billing: a consumer that stores orders, with probes and metrics over HTTP beside it.

``create_app(deps)`` builds the HTTP side; the process (``python -m services.billing``) also
runs the consumer (``deps.work``), so billing has no app factory for other WSGI servers: one
would serve probes for a consumer that never runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import falcon
from prometheus_client import CollectorRegistry

from services.billing.config import BillingConfig
from services.billing.consumer import BillingConsumer, ConsumerState
from services.billing.metrics import BillingMetrics
from services.billing.storage import OrderStore, migrate
from services.common.app import new_app
from services.common.broker import check_order_queues
from services.common.db import ConnectionPool


@dataclass(frozen=True)
class BillingDeps:
    """``consumer`` and ``pool`` are None where a test builds only the HTTP side."""

    store: OrderStore
    state: ConsumerState = field(default_factory=ConsumerState)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    consumer: BillingConsumer | None = None
    pool: ConnectionPool | None = None

    @classmethod
    def open(cls, config: BillingConfig) -> BillingDeps:
        check_order_queues(config.broker)  # a queue it cannot use stops it with one line
        pool = ConnectionPool(config.db, migrate)
        store, state, registry = OrderStore(pool), ConsumerState(), CollectorRegistry()
        consumer = BillingConsumer(
            broker=config.broker,
            settings=config.consumer,
            store=store,
            metrics=BillingMetrics(registry),
            state=state,
        )
        return cls(store, state, registry, consumer, pool)

    def work(self, stop: threading.Event) -> None:
        """Consume until ``stop``; returns once the in-flight batch is stored and acked."""
        if self.consumer is not None:
            self.consumer.run(stop)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close_all()


def create_app(deps: BillingDeps) -> falcon.App:
    return new_app(
        registry=deps.registry,
        checks={"database": deps.store.ping, "broker": lambda: _consuming(deps.state)},
    )


def _consuming(state: ConsumerState) -> None:
    if not state.consuming.is_set():
        raise ConnectionError("not consuming from the broker (reconnecting)")
