"""Inventory's settings, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.common.config import env_int
from services.common.db import DbSettings
from services.common.server import ServerSettings


@dataclass(frozen=True)
class InventoryConfig:
    server: ServerSettings
    db: DbSettings
    max_body_bytes: int = 64 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> InventoryConfig:
        return cls(
            server=ServerSettings.from_env(env, port=8080, threads=8),
            db=DbSettings.from_env(env, "INVENTORY_DB", ("inventory-db", "inventory")),
            max_body_bytes=env_int(env, "MAX_BODY_BYTES", 64 * 1024, minimum=1),
        )
