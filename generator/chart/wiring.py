"""Who is called what and reads what, taken from ``services.contract`` and each service's
declared ``ENVIRONMENT``.

The ConfigMap ``app-config`` and the Secrets ``db-secrets`` / ``rabbitmq-secrets`` are
built from these tables, and so is every container's ``env``: a variable a service reads
can only come from a key of app-config or from the Secret its backend's mode names
(``backends``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.chart import backends
from generator.chart.backends import Backend, Field
from services import contract
from services.billing.config import ENVIRONMENT as BILLING_ENVIRONMENT
from services.common.environment import Environment, Variable
from services.gateway.config import ENVIRONMENT as GATEWAY_ENVIRONMENT
from services.inventory.config import ENVIRONMENT as INVENTORY_ENVIRONMENT

CONFIG_MAP = contract.CONFIG_MAP
DB_SECRET = contract.DB_SECRET
RABBITMQ_SECRET = contract.RABBITMQ_SECRET
# The gateway's bearer tokens (a name of a Secret and of a variable, not secrets).
GATEWAY_SECRET = "gateway-secrets"  # noqa: S105
API_TOKENS = "API_TOKENS"


@dataclass(frozen=True)
class Names:
    """Object names (a contract) of each component."""

    gateway: str = contract.GATEWAY.name
    inventory: str = contract.INVENTORY.name
    billing: str = contract.BILLING.name
    inventory_db: str = contract.INVENTORY_DB.name
    billing_db: str = contract.BILLING_DB.name
    rabbitmq: str = contract.RABBITMQ.name


NAMES = Names()


@dataclass(frozen=True)
class FromConfig:
    key: str


@dataclass(frozen=True)
class FromSecret:
    """A key of one of the chart's two Secrets; ``secret`` is its ``existingSecrets`` key."""

    secret: str
    key: str


@dataclass(frozen=True)
class FromCredential:
    """A backend's user or password, from the Secret its mode puts it in."""

    backend: Backend
    field: Field


Source = FromConfig | FromSecret | FromCredential

# app-config keys whose value is a backend's host or port, which its mode chooses.
BY_MODE: dict[str, tuple[Backend, Literal["host", "port"]]] = {
    f"{backend.prefix}_{what.upper()}": (backend, what)
    for backend in backends.BACKENDS
    for what in ("host", "port")
}

# app-config: key -> template expression of its value (always rendered as a string).
CONFIG: dict[str, str] = {
    "HOST": '"0.0.0.0"',
    "GATEWAY_PORT": ".Values.gateway.containerPort",
    "INVENTORY_PORT": ".Values.inventory.containerPort",
    "BILLING_PORT": ".Values.billing.containerPort",
    "METRICS_PORT": ".Values.metrics.port",
    "INVENTORY_URL": f'printf "http://{NAMES.inventory}:%v" .Values.inventory.service.port',
    "RABBITMQ_VHOST": ".Values.rabbitmq.vhost",
    "BILLING_QUEUE": ".Values.rabbitmq.queue",
    **{key: getattr(backend, what) for key, (backend, what) in BY_MODE.items()},
    "INVENTORY_DB_NAME": ".Values.inventoryDb.auth.database",
    "BILLING_DB_NAME": ".Values.billingDb.auth.database",
}


def bundled_credentials(backend: Backend) -> dict[str, str]:
    """The keys a bundled backend's credentials have in the chart's Secret -> the values
    path of each (an empty password: generated, see _helpers.tpl)."""
    return {
        f"{backend.prefix}_USER": f"{backend.key}.auth.username",
        f"{backend.prefix}_PASSWORD": f"{backend.key}.auth.password",
    }


# Set in every app: each serves /metrics on METRICS_PORT, the port the chart opens to
# Prometheus. API_TOKENS is the gateway's only with gateway.auth.enabled (platform.py).
EVERY_APP: dict[str, Source | None] = {"METRICS_PORT": FromConfig("METRICS_PORT"), API_TOKENS: None}

# Set per app, from the app's own key (the services share one ConfigMap).
_PER_APP = ("PORT",)


def _source(variable: Variable, app: str) -> Source | None:
    """Where the chart takes a declared variable from: a backend's credentials from the
    Secret of its mode, the port from this app's own key, the rest by name; None: a
    variable the chart does not set, so the service keeps its declared default
    (tests/generator lists each one)."""
    found = backends.credential(variable.name)
    if found is not None:
        return FromCredential(*found)
    if variable.name in _PER_APP:
        return FromConfig(f"{app}_{variable.name}")
    return FromConfig(variable.name) if variable.name in CONFIG else None


def container_env(environment: Environment, app: str) -> dict[str, Source]:
    """Every contract variable of a service the chart sets, by name; tuning knobs keep
    their built-in defaults."""
    sources = {v.name: _source(v, app) for v in environment if not v.tuning} | EVERY_APP
    return {name: source for name, source in sorted(sources.items()) if source is not None}


GATEWAY_ENV = container_env(GATEWAY_ENVIRONMENT, "GATEWAY")
INVENTORY_ENV = container_env(INVENTORY_ENVIRONMENT, "INVENTORY")
BILLING_ENV = container_env(BILLING_ENVIRONMENT, "BILLING")


def postgres_env(prefix: str) -> dict[str, Source]:
    """The official postgres image's settings, from the same keys its app reads
    (``prefix``: ``INVENTORY_DB`` or ``BILLING_DB``)."""
    return {
        "POSTGRES_DB": FromConfig(f"{prefix}_NAME"),
        "POSTGRES_USER": FromSecret("db", f"{prefix}_USER"),
        "POSTGRES_PASSWORD": FromSecret("db", f"{prefix}_PASSWORD"),
    }


RABBITMQ_SERVER_ENV: dict[str, Source] = {
    "RABBITMQ_DEFAULT_USER": FromSecret("rabbitmq", "RABBITMQ_USER"),
    "RABBITMQ_DEFAULT_PASS": FromSecret("rabbitmq", "RABBITMQ_PASSWORD"),
    "RABBITMQ_DEFAULT_VHOST": FromConfig("RABBITMQ_VHOST"),
}
