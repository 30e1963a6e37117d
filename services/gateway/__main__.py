"""`python -m services.gateway`: serve the public API."""

from services.common.app import run_service
from services.gateway.app import GatewayDeps, create_app
from services.gateway.config import GatewayConfig

if __name__ == "__main__":
    run_service("gateway", GatewayConfig.from_env, GatewayDeps.open, create_app)
