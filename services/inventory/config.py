"""Inventory's settings, read once from the environment it declares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services import contract
from services.common import environment as declare
from services.common.config import Reader
from services.common.db import DbSettings
from services.common.server import ServerSettings

ENVIRONMENT = (
    *declare.server(port=contract.INVENTORY.port, threads=8),
    *declare.database("INVENTORY_DB", contract.INVENTORY_DB, contract.INVENTORY_DATABASE),
    *declare.body_limit(),
)


@dataclass(frozen=True)
class InventoryConfig:
    server: ServerSettings
    db: DbSettings
    max_body_bytes: int = 64 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> InventoryConfig:
        read = Reader.of(env, ENVIRONMENT)
        return cls(
            server=ServerSettings.from_env(read),
            db=DbSettings.from_env(read, "INVENTORY_DB"),
            max_body_bytes=read.integer("MAX_BODY_BYTES", minimum=1),
        )
