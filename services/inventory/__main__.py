"""`python -m services.inventory`: serve the inventory API."""

from __future__ import annotations

from services.common.app import load_config_or_exit, serve_app
from services.inventory.app import build
from services.inventory.config import InventoryConfig


def main() -> None:
    config = load_config_or_exit("inventory", InventoryConfig.from_env)
    app, pool = build(config)
    pool.warm_up()
    try:
        serve_app(app, config.server, name="inventory")
    finally:
        pool.close_all()


if __name__ == "__main__":
    main()
