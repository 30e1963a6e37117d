"""`python -m services.inventory`: serve the inventory API."""

from services.common.app import run_service
from services.inventory.app import InventoryDeps, create_app
from services.inventory.config import InventoryConfig

if __name__ == "__main__":
    run_service("inventory", InventoryConfig.from_env, InventoryDeps.open, create_app)
