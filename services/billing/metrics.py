"""Billing's own metrics, on the same registry as its HTTP metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class BillingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.stored = Counter(
            "billing_orders_stored_total", "Orders written to the database.", registry=registry
        )
        self.duplicates = Counter(
            "billing_orders_duplicate_total",
            "Redelivered orders that were already stored and were skipped.",
            registry=registry,
        )
        self.dead_lettered = Counter(
            "billing_messages_dead_lettered_total",
            "Messages that can never be processed, moved to the dead-letter queue.",
            registry=registry,
        )
        self.reconnects = Counter(
            "billing_consumer_restarts_total",
            "Times the consumer lost the broker or the database and started again.",
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "billing_batch_store_seconds",
            "Time to store one batch of orders in one transaction.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
            registry=registry,
        )

    def observe_batch(self, size: int, added: int, seconds: float) -> None:
        self.stored.inc(added)
        self.duplicates.inc(size - added)
        self.batch_seconds.observe(seconds)
