"""The gateway's own checks on top of the declared environment."""

from __future__ import annotations

import pytest

from services.common.config import ConfigError
from services.gateway.config import GatewayConfig

CREDENTIALS = {"RABBITMQ_USER": "u", "RABBITMQ_PASSWORD": "p"}


def test_the_inventory_url_defaults_to_the_service_and_loses_its_trailing_slash():
    assert GatewayConfig.from_env(CREDENTIALS).inventory.base_url == "http://inventory-app:8080"
    config = GatewayConfig.from_env({**CREDENTIALS, "INVENTORY_URL": "https://inv:9/"})
    assert config.inventory.base_url == "https://inv:9"


@pytest.mark.parametrize("url", ["inventory-app:8080", "ftp://inventory", "//inventory"])
def test_an_inventory_url_without_http_is_refused(url):
    with pytest.raises(ConfigError, match="INVENTORY_URL must start with http"):
        GatewayConfig.from_env({**CREDENTIALS, "INVENTORY_URL": url})
