"""Each service reads exactly the environment it declares, with the declared defaults."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from services.billing.config import ENVIRONMENT as BILLING
from services.billing.config import BillingConfig
from services.common.config import ConfigError
from services.common.environment import Environment
from services.gateway.config import ENVIRONMENT as GATEWAY
from services.gateway.config import GatewayConfig
from services.inventory.config import ENVIRONMENT as INVENTORY
from services.inventory.config import InventoryConfig

SERVICES: dict[str, tuple[Environment, Callable[[Mapping[str, str]], Any]]] = {
    "gateway": (GATEWAY, GatewayConfig.from_env),
    "inventory": (INVENTORY, InventoryConfig.from_env),
    "billing": (BILLING, BillingConfig.from_env),
}


class Recording(Mapping[str, str]):
    """An environment that remembers every name asked for, set or not."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        self.asked.add(name)
        return self._values.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def required_only(environment: Environment) -> dict[str, str]:
    return {v.name: f"set-{v.name.lower()}" for v in environment if v.required}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_reads_every_declared_variable_and_nothing_else(service):
    environment, load = SERVICES[service]
    recording = Recording(required_only(environment))
    load(recording)
    assert recording.asked == {v.name for v in environment}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_declared_defaults_are_the_ones_the_loader_uses(service):
    environment, load = SERVICES[service]
    explicit = {v.name: v.default for v in environment if v.default is not None}
    base = required_only(environment)
    assert load(base) == load({**base, **explicit})


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_missing_required_variable_stops_the_load_naming_it(service):
    environment, load = SERVICES[service]
    for variable in (v for v in environment if v.required):
        values = required_only(environment)
        del values[variable.name]
        with pytest.raises(ConfigError, match=variable.name):
            load(values)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_credentials_are_declared_secret_and_required(service):
    environment, _ = SERVICES[service]
    for variable in environment:
        if variable.name.endswith(("_USER", "_PASSWORD")):
            assert variable.secret, variable.name
            assert variable.required, variable.name
