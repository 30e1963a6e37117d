"""The gateway WSGI app: create_app(deps) for tests and `python -m services.gateway`, get_app()
for another WSGI server's command line (docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass

import falcon
from prometheus_client import CollectorRegistry

from services.common.app import new_app
from services.common.broker import check_order_queues
from services.common.config import process_env
from services.common.environment import MAX_BODY_BYTES
from services.gateway.auth import ApiTokens, RequireTokenForWrites
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
    max_body_bytes: int = MAX_BODY_BYTES
    api_tokens: ApiTokens | None = None

    @classmethod
    def open(cls, config: GatewayConfig) -> GatewayDeps:
        check_order_queues(config.broker)  # a queue it cannot use stops it with one line
        return cls(
            inventory=InventoryClient(config.inventory, pool_size=config.server.threads),
            publisher=OrderPublisher(config.broker, timeout=config.publish_timeout),
            max_body_bytes=config.max_body_bytes,
            api_tokens=config.api_tokens,
        )

    def close(self) -> None:
        self.publisher.close()
        self.inventory.close()


def create_app(deps: GatewayDeps) -> falcon.App:
    # Ready depends on nothing but this process: movie reads and orders each answer 503 on
    # their own while inventory or the broker is away; the body still shows both.
    reports = {"broker": deps.publisher.ping, "inventory": deps.inventory.ping}
    app = new_app(registry=CollectorRegistry(), checks={}, reports=reports)
    proxy = MovieProxy(deps.inventory, max_body_bytes=deps.max_body_bytes)
    app.add_route("/api/movies", MoviesProxyResource(proxy))
    app.add_route("/api/movies/{movie_id}", MovieProxyResource(proxy))
    app.add_route(
        "/api/billing", BillingResource(deps.publisher, max_body_bytes=deps.max_body_bytes)
    )
    app.add_route("/api/openapi.json", OpenApiResource(load_openapi()))
    add_docs_routes(app)
    if deps.api_tokens is not None:
        app.add_middleware(RequireTokenForWrites(deps.api_tokens))
    return app


def get_app() -> falcon.App:
    """The app with real dependencies from the environment, for a WSGI server that calls an
    app factory (`waitress-serve --call services.gateway.app:get_app`)."""
    return create_app(GatewayDeps.open(GatewayConfig.from_env(process_env())))
