"""The gateway's settings, read once from the environment it declares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services import contract
from services.common import environment as declare
from services.common.broker import BrokerSettings
from services.common.config import ConfigError, Reader
from services.common.environment import Variable
from services.common.metrics_server import MetricsSettings
from services.common.server import ServerSettings
from services.gateway.auth import ApiTokens

ENVIRONMENT = (
    *declare.server(port=contract.GATEWAY.port, threads=8),
    Variable(
        "INVENTORY_URL",
        "Base URL of the inventory service",
        f"http://{contract.INVENTORY.name}:{contract.INVENTORY.port}",
    ),
    *declare.broker(),
    Variable(
        "INVENTORY_CONNECT_TIMEOUT_SECONDS", "Connect timeout to inventory", "2.0", tuning=True
    ),
    Variable("INVENTORY_TIMEOUT_SECONDS", "Read timeout on inventory", "10.0", tuning=True),
    Variable(
        "INVENTORY_STREAM_TIMEOUT_SECONDS",
        "Longest relay of a long answer (the whole movie list)",
        "120.0",
        tuning=True,
    ),
    Variable("PUBLISH_TIMEOUT_SECONDS", "Wait for the broker's confirm", "5.0", tuning=True),
    *declare.body_limit(),
    Variable(
        "API_TOKENS",
        "Comma-separated bearer tokens that writes need; unset: writes are open",
        "",
        secret=True,
        tuning=True,
    ),
)


@dataclass(frozen=True)
class UpstreamSettings:
    base_url: str
    connect_timeout: float
    read_timeout: float  # the whole of an answer read before it is relayed
    # The whole of a relayed answer (the complete movie list), the slowest client included.
    stream_timeout: float


@dataclass(frozen=True)
class GatewayConfig:
    server: ServerSettings
    metrics: MetricsSettings
    inventory: UpstreamSettings
    broker: BrokerSettings
    publish_timeout: float
    max_body_bytes: int
    api_tokens: ApiTokens | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewayConfig:
        read = Reader.of(env, ENVIRONMENT)
        url = read.text("INVENTORY_URL").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"INVENTORY_URL must start with http:// or https://, got {url!r}")
        return cls(
            server=ServerSettings.from_env(read),
            metrics=MetricsSettings.from_env(read),
            inventory=UpstreamSettings(
                base_url=url,
                connect_timeout=read.number("INVENTORY_CONNECT_TIMEOUT_SECONDS"),
                read_timeout=read.number("INVENTORY_TIMEOUT_SECONDS"),
                stream_timeout=read.number("INVENTORY_STREAM_TIMEOUT_SECONDS"),
            ),
            broker=BrokerSettings.from_env(read),
            publish_timeout=read.number("PUBLISH_TIMEOUT_SECONDS"),
            max_body_bytes=read.integer("MAX_BODY_BYTES", minimum=1),
            api_tokens=ApiTokens.parse(read.text("API_TOKENS")),
        )
