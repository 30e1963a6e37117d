"""The inventory WSGI app: create_app(deps) for tests, get_app() for a real process."""

from __future__ import annotations

import falcon
from prometheus_client import CollectorRegistry

from services.common.app import new_app
from services.common.config import process_env
from services.common.db import ConnectionPool
from services.inventory.config import InventoryConfig
from services.inventory.resources import MovieResource, MoviesResource
from services.inventory.storage import MovieStore, migrate

# Ids are BIGSERIAL: anything outside that range cannot exist, so it is a plain 404.
_ID = "{movie_id:int(min=1, max=9223372036854775807)}"


def create_app(store: MovieStore, *, max_body_bytes: int = 64 * 1024) -> falcon.App:
    app = new_app(registry=CollectorRegistry(), checks={"database": store.ping})
    app.add_route("/api/movies", MoviesResource(store, max_body_bytes=max_body_bytes))
    app.add_route(f"/api/movies/{_ID}", MovieResource(store, max_body_bytes=max_body_bytes))
    return app


def build(config: InventoryConfig) -> tuple[falcon.App, ConnectionPool]:
    pool = ConnectionPool(config.db, migrate)
    return create_app(MovieStore(pool), max_body_bytes=config.max_body_bytes), pool


def get_app() -> falcon.App:
    """For WSGI servers that import an app object (e.g. `waitress-serve --call`)."""
    return build(InventoryConfig.from_env(process_env()))[0]
