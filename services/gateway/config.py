"""The gateway's settings, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.common.broker import BrokerSettings
from services.common.config import ConfigError, env_float, env_int, env_str
from services.common.server import ServerSettings


@dataclass(frozen=True)
class UpstreamSettings:
    base_url: str
    connect_timeout: float = 2.0
    read_timeout: float = 10.0


@dataclass(frozen=True)
class GatewayConfig:
    server: ServerSettings
    inventory: UpstreamSettings
    broker: BrokerSettings
    publish_timeout: float = 5.0
    max_body_bytes: int = 64 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewayConfig:
        url = env_str(env, "INVENTORY_URL", "http://inventory-app:8080").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"INVENTORY_URL must start with http:// or https://, got {url!r}")
        return cls(
            server=ServerSettings.from_env(env, port=3000, threads=16),
            inventory=UpstreamSettings(
                base_url=url,
                connect_timeout=env_float(env, "INVENTORY_CONNECT_TIMEOUT_SECONDS", 2.0),
                read_timeout=env_float(env, "INVENTORY_TIMEOUT_SECONDS", 10.0),
            ),
            broker=BrokerSettings.from_env(env),
            publish_timeout=env_float(env, "PUBLISH_TIMEOUT_SECONDS", 5.0),
            max_body_bytes=env_int(env, "MAX_BODY_BYTES", 64 * 1024, minimum=1),
        )
