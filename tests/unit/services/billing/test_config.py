"""Billing's prefetch follows its batch size unless it is set on its own."""

from __future__ import annotations

from services.billing.config import BillingConfig

REQUIRED = {
    "RABBITMQ_USER": "u",
    "RABBITMQ_PASSWORD": "p",
    "BILLING_DB_USER": "u",
    "BILLING_DB_PASSWORD": "p",
}


def test_prefetch_is_twice_the_batch_by_default():
    config = BillingConfig.from_env({**REQUIRED, "BILLING_BATCH_SIZE": "50"})
    assert (config.consumer.batch_size, config.consumer.prefetch) == (50, 100)


def test_an_explicit_prefetch_wins():
    config = BillingConfig.from_env(
        {**REQUIRED, "BILLING_BATCH_SIZE": "50", "BILLING_PREFETCH": "7"}
    )
    assert config.consumer.prefetch == 7
