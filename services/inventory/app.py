"""The inventory WSGI app: create_app(deps) for tests and `python -m services.inventory`,
get_app() for another WSGI server's command line (docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass

import falcon
from prometheus_client import CollectorRegistry

from services.common.app import new_app
from services.common.config import process_env
from services.common.db import ConnectionPool
from services.common.environment import MAX_BODY_BYTES
from services.common.ids import MAX_ID
from services.inventory.config import InventoryConfig
from services.inventory.resources import MovieResource, MoviesResource
from services.inventory.storage import MovieStore, migrate

# Ids are BIGSERIAL: anything outside that range cannot exist, so it is a plain 404.
_ID = f"{{movie_id:int(min=1, max={MAX_ID})}}"


@dataclass(frozen=True)
class InventoryDeps:
    """``pool`` is what ``close`` releases: None when the caller (a test) owns it."""

    store: MovieStore
    max_body_bytes: int = MAX_BODY_BYTES
    pool: ConnectionPool | None = None

    @classmethod
    def open(cls, config: InventoryConfig) -> InventoryDeps:
        pool = ConnectionPool(config.db, migrate)
        pool.warm_up()
        return cls(MovieStore(pool), max_body_bytes=config.max_body_bytes, pool=pool)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close_all()


def create_app(deps: InventoryDeps) -> falcon.App:
    store, limit = deps.store, deps.max_body_bytes
    app = new_app(registry=CollectorRegistry(), checks={"database": store.ping})
    app.add_route("/api/movies", MoviesResource(store, max_body_bytes=limit))
    app.add_route(f"/api/movies/{_ID}", MovieResource(store, max_body_bytes=limit))
    return app


def get_app() -> falcon.App:
    """The app with real dependencies from the environment, for a WSGI server that calls an
    app factory (`waitress-serve --call services.inventory.app:get_app`)."""
    return create_app(InventoryDeps.open(InventoryConfig.from_env(process_env())))
