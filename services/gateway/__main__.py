"""`python -m services.gateway`: serve the public API."""

from __future__ import annotations

from services.common.app import load_config_or_exit, serve_app
from services.gateway.app import build
from services.gateway.config import GatewayConfig


def main() -> None:
    config = load_config_or_exit("gateway", GatewayConfig.from_env)
    app, deps = build(config)
    try:
        serve_app(app, config.server, name="gateway")
    finally:
        deps.publisher.close()
        deps.inventory.close()


if __name__ == "__main__":
    main()
