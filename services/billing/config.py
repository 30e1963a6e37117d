"""Billing's settings, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services import contract
from services.common import environment as declare
from services.common.broker import BrokerSettings
from services.common.config import Reader
from services.common.db import DbSettings
from services.common.environment import Variable
from services.common.metrics_server import MetricsSettings
from services.common.server import ServerSettings

ENVIRONMENT = (
    *declare.server(port=contract.BILLING.port, threads=2),
    *declare.broker(),
    *declare.database("BILLING_DB", contract.BILLING_DB, contract.BILLING_DATABASE),
    Variable("BILLING_BATCH_SIZE", "Orders stored per transaction", "500", tuning=True),
    # Twice the batch by default, so the next batch is already here while one commits.
    Variable("BILLING_PREFETCH", "Unacknowledged messages held (2 x batch)", "1000", tuning=True),
    Variable("BILLING_BATCH_WAIT_SECONDS", "Wait to fill a batch", "0.02", tuning=True),
    Variable("BILLING_BACKOFF_MAX_SECONDS", "Longest reconnect backoff", "15.0", tuning=True),
)


@dataclass(frozen=True)
class ConsumerSettings:
    prefetch: int
    batch_size: int
    batch_wait_seconds: float
    backoff_max_seconds: float
    heartbeat_seconds: int = 30

    @classmethod
    def from_env(cls, read: Reader) -> ConsumerSettings:
        batch_size = read.integer("BILLING_BATCH_SIZE", minimum=1)
        prefetch = (
            read.integer("BILLING_PREFETCH", minimum=1)
            if read.is_set("BILLING_PREFETCH")
            else 2 * batch_size
        )
        return cls(
            prefetch=prefetch,
            batch_size=batch_size,
            batch_wait_seconds=read.number("BILLING_BATCH_WAIT_SECONDS"),
            backoff_max_seconds=read.number("BILLING_BACKOFF_MAX_SECONDS"),
        )


@dataclass(frozen=True)
class BillingConfig:
    server: ServerSettings
    metrics: MetricsSettings
    db: DbSettings
    broker: BrokerSettings
    consumer: ConsumerSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BillingConfig:
        read = Reader.of(env, ENVIRONMENT)
        return cls(
            server=ServerSettings.from_env(read, drain_seconds=2.0),
            metrics=MetricsSettings.from_env(read),
            db=DbSettings.from_env(read, "BILLING_DB"),
            broker=BrokerSettings.from_env(read),
            consumer=ConsumerSettings.from_env(read),
        )
