"""Building in-process gateway apps (falcon TestClient) against real or broken dependencies."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from falcon import testing

from services.common.broker import BrokerSettings
from services.gateway.app import GatewayDeps, create_app
from services.gateway.config import UpstreamSettings
from services.gateway.publisher import OrderPublisher
from services.gateway.upstream import InventoryClient
from tests.support.backends import MQ_HOST, MQ_PASSWORD, MQ_PORT, MQ_USER, QueueName
from tests.support.peers import refused_port

MakeGateway = Callable[..., testing.TestClient]


def broker_settings(queue: str, *, port: int = MQ_PORT) -> BrokerSettings:
    return BrokerSettings(
        host=MQ_HOST, port=port, vhost="/", user=MQ_USER, password=MQ_PASSWORD, queue=queue
    )


@pytest.fixture
def make_gateway(queue: QueueName) -> Iterator[MakeGateway]:
    made: list[GatewayDeps] = []

    def make(
        *,
        inventory_url: str | None = None,
        broker_port: int = MQ_PORT,
        read_timeout: float = 2.0,
        max_body_bytes: int = 1024,
    ) -> testing.TestClient:
        url = inventory_url or f"http://127.0.0.1:{refused_port()}"
        deps = GatewayDeps(
            inventory=InventoryClient(
                UpstreamSettings(url, connect_timeout=1.0, read_timeout=read_timeout, pool_size=4)
            ),
            publisher=OrderPublisher(broker_settings(queue.name, port=broker_port), timeout=2.0),
            max_body_bytes=max_body_bytes,
        )
        made.append(deps)
        return testing.TestClient(create_app(deps))

    yield make
    for deps in made:
        deps.publisher.close()
        deps.inventory.close()
