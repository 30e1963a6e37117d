"""Billing's settings, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.common.broker import BrokerSettings
from services.common.config import env_float, env_int
from services.common.db import DbSettings
from services.common.server import ServerSettings


@dataclass(frozen=True)
class ConsumerSettings:
    prefetch: int = 1000
    batch_size: int = 500
    batch_wait_seconds: float = 0.02
    backoff_max_seconds: float = 15.0
    heartbeat_seconds: int = 30


@dataclass(frozen=True)
class BillingConfig:
    server: ServerSettings
    db: DbSettings
    broker: BrokerSettings
    consumer: ConsumerSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BillingConfig:
        batch_size = env_int(env, "BILLING_BATCH_SIZE", 500, minimum=1)
        return cls(
            server=ServerSettings.from_env(env, port=8080, threads=2, drain_seconds=2.0),
            db=DbSettings.from_env(env, "BILLING_DB", ("billing-db", "billing")),
            broker=BrokerSettings.from_env(env),
            consumer=ConsumerSettings(
                # Prefetch twice the batch so the next batch is already here while one commits.
                prefetch=env_int(env, "BILLING_PREFETCH", 2 * batch_size, minimum=1),
                batch_size=batch_size,
                batch_wait_seconds=env_float(env, "BILLING_BATCH_WAIT_SECONDS", 0.02),
                backoff_max_seconds=env_float(env, "BILLING_BACKOFF_MAX_SECONDS", 15.0),
            ),
        )
