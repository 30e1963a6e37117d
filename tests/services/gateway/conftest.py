"""Building in-process gateway apps (falcon TestClient) against real or broken dependencies."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from falcon import testing

from faults.misbehaving import refused_port
from services.gateway.app import GatewayDeps, create_app
from services.gateway.auth import ApiTokens
from services.gateway.config import UpstreamSettings
from services.gateway.publisher import OrderPublisher
from services.gateway.upstream import InventoryClient
from tests.harness.backends import MQ_PORT, QueueName, broker_settings

MakeGateway = Callable[..., testing.TestClient]
POOL_SIZE = 16  # the most requests at once of any test here


@pytest.fixture
def make_gateway(queue: QueueName) -> Iterator[MakeGateway]:
    made: list[GatewayDeps] = []

    def make(
        *,
        inventory_url: str | None = None,
        broker_port: int = MQ_PORT,
        read_timeout: float = 2.0,
        stream_timeout: float = 5.0,
        max_body_bytes: int = 1024,
        api_tokens: str = "",
    ) -> testing.TestClient:
        url = inventory_url or f"http://127.0.0.1:{refused_port()}"
        deps = GatewayDeps(
            inventory=InventoryClient(
                UpstreamSettings(
                    url,
                    connect_timeout=1.0,
                    read_timeout=read_timeout,
                    stream_timeout=stream_timeout,
                ),
                pool_size=POOL_SIZE,
            ),
            publisher=OrderPublisher(broker_settings(queue.name, port=broker_port), timeout=2.0),
            max_body_bytes=max_body_bytes,
            api_tokens=ApiTokens.parse(api_tokens),
        )
        made.append(deps)
        return testing.TestClient(create_app(deps))

    yield make
    for deps in made:
        deps.publisher.close()
        deps.inventory.close()
