"""The gateway WSGI app: create_app(deps) for tests, get_app() for a real process."""

from __future__ import annotations

from dataclasses import dataclass

import falcon
from prometheus_client import CollectorRegistry

from services.common.app import new_app
from services.common.broker import check_order_queues
from services.common.config import process_env
from services.gateway.config import GatewayConfig
from services.gateway.docs import add_docs_routes
from services.gateway.publisher import OrderPublisher
from services.gateway.resources import (
    BillingResource,
    MovieProxy,
    MovieProxyResource,
    MoviesProxyResource,
    OpenApiResource,
    load_openapi,
)
from services.gateway.upstream import InventoryClient


@dataclass(frozen=True)
class GatewayDeps:
    inventory: InventoryClient
    publisher: OrderPublisher
    max_body_bytes: int = 64 * 1024

    @classmethod
    def open(cls, config: GatewayConfig) -> GatewayDeps:
        check_order_queues(config.broker)  # a queue it cannot use stops it with one line
        return cls(
            inventory=InventoryClient(config.inventory),
            publisher=OrderPublisher(config.broker, timeout=config.publish_timeout),
            max_body_bytes=config.max_body_bytes,
        )

    def close(self) -> None:
        self.publisher.close()
        self.inventory.close()


def create_app(deps: GatewayDeps) -> falcon.App:
    # Ready means "can take orders": movie reads degrade to 503 on their own if inventory is
    # down, and failing readiness for that would pull every gateway out of rotation at once.
    app = new_app(registry=CollectorRegistry(), checks={"broker": deps.publisher.ping})
    proxy = MovieProxy(deps.inventory, max_body_bytes=deps.max_body_bytes)
    app.add_route("/api/movies", MoviesProxyResource(proxy))
    app.add_route("/api/movies/{movie_id}", MovieProxyResource(proxy))
    app.add_route(
        "/api/billing", BillingResource(deps.publisher, max_body_bytes=deps.max_body_bytes)
    )
    app.add_route("/api/openapi.json", OpenApiResource(load_openapi()))
    add_docs_routes(app)
    return app


def get_app() -> falcon.App:
    """For WSGI servers that import an app object (e.g. `waitress-serve --call`)."""
    return create_app(GatewayDeps.open(GatewayConfig.from_env(process_env())))
