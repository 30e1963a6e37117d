"""Inventory's settings, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.common.config import env_int, env_str
from services.common.db import DbSettings
from services.common.server import ServerSettings


@dataclass(frozen=True)
class InventoryConfig:
    server: ServerSettings
    db: DbSettings
    max_body_bytes: int = 64 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> InventoryConfig:
        threads = env_int(env, "THREADS", 8, minimum=1)
        return cls(
            server=ServerSettings(
                host=env_str(env, "HOST", "0.0.0.0"),  # noqa: S104 - a container listens on all
                port=env_int(env, "PORT", 8080, minimum=1),
                threads=threads,
            ),
            db=DbSettings.from_env(env, "INVENTORY_DB", ("inventory-db", "inventory")),
            max_body_bytes=env_int(env, "MAX_BODY_BYTES", 64 * 1024, minimum=1),
        )
