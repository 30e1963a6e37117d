"""Who is called what and reads what, taken from ``services.contract`` and each service's
declared ``ENVIRONMENT``.

The ConfigMap ``app-config`` and the Secrets ``db-secrets`` / ``rabbitmq-secrets`` are
built from these tables, and so is every container's ``env``: a variable a service reads
can only come from a key that one of them holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from services import contract
from services.billing.config import ENVIRONMENT as BILLING_ENVIRONMENT
from services.common.environment import Environment, Variable
from services.gateway.config import ENVIRONMENT as GATEWAY_ENVIRONMENT
from services.inventory.config import ENVIRONMENT as INVENTORY_ENVIRONMENT

CONFIG_MAP = contract.CONFIG_MAP
DB_SECRET = contract.DB_SECRET
RABBITMQ_SECRET = contract.RABBITMQ_SECRET


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
    """A key of one of the two Secrets; ``secret`` is its ``existingSecrets`` key."""

    secret: str
    key: str


Source = FromConfig | FromSecret

# app-config: key -> template expression of its value (always rendered as a string).
CONFIG: dict[str, str] = {
    "HOST": '"0.0.0.0"',
    "GATEWAY_PORT": ".Values.gateway.containerPort",
    "INVENTORY_PORT": ".Values.inventory.containerPort",
    "BILLING_PORT": ".Values.billing.containerPort",
    "INVENTORY_URL": f'printf "http://{NAMES.inventory}:%v" .Values.inventory.service.port',
    "RABBITMQ_HOST": f'"{NAMES.rabbitmq}"',
    "RABBITMQ_PORT": ".Values.rabbitmq.service.amqpPort",
    "RABBITMQ_VHOST": ".Values.rabbitmq.vhost",
    "BILLING_QUEUE": ".Values.rabbitmq.queue",
    "INVENTORY_DB_HOST": f'"{NAMES.inventory_db}"',
    "INVENTORY_DB_PORT": ".Values.inventoryDb.service.port",
    "INVENTORY_DB_NAME": ".Values.inventoryDb.auth.database",
    "BILLING_DB_HOST": f'"{NAMES.billing_db}"',
    "BILLING_DB_PORT": ".Values.billingDb.service.port",
    "BILLING_DB_NAME": ".Values.billingDb.auth.database",
}

# Secret key -> values path of its setting (empty password: generated, see _helpers.tpl).
DB_CREDENTIALS: dict[str, str] = {
    "INVENTORY_DB_USER": "inventoryDb.auth.username",
    "INVENTORY_DB_PASSWORD": "inventoryDb.auth.password",
    "BILLING_DB_USER": "billingDb.auth.username",
    "BILLING_DB_PASSWORD": "billingDb.auth.password",
}
RABBITMQ_CREDENTIALS: dict[str, str] = {
    "RABBITMQ_USER": "rabbitmq.auth.username",
    "RABBITMQ_PASSWORD": "rabbitmq.auth.password",
}


# Set per app, from the app's own key (the services share one ConfigMap).
_PER_APP = ("PORT",)


def _source(variable: Variable, app: str) -> Source | None:
    """Where the chart takes a declared variable from: credentials from their Secret, the
    port from this app's own key, the rest by name; None: a variable the chart does not set,
    so the service keeps its declared default (tests/generator lists each one)."""
    if variable.secret:
        secret = "rabbitmq" if variable.name.startswith("RABBITMQ_") else "db"
        return FromSecret(secret, variable.name)
    if variable.name in _PER_APP:
        return FromConfig(f"{app}_{variable.name}")
    return FromConfig(variable.name) if variable.name in CONFIG else None


def container_env(environment: Environment, app: str) -> dict[str, Source]:
    """Every contract variable of a service the chart sets, by name; tuning knobs keep
    their built-in defaults."""
    sources = {v.name: _source(v, app) for v in environment if not v.tuning}
    return {name: source for name, source in sorted(sources.items()) if source is not None}


GATEWAY_ENV = container_env(GATEWAY_ENVIRONMENT, "GATEWAY")
INVENTORY_ENV = container_env(INVENTORY_ENVIRONMENT, "INVENTORY")
BILLING_ENV = container_env(BILLING_ENVIRONMENT, "BILLING")


def postgres_env(prefix: str) -> dict[str, Source]:
    """The official postgres image's settings, from the same keys its app reads."""
    return {
        "POSTGRES_DB": FromConfig(f"{prefix}_DB_NAME"),
        "POSTGRES_USER": FromSecret("db", f"{prefix}_DB_USER"),
        "POSTGRES_PASSWORD": FromSecret("db", f"{prefix}_DB_PASSWORD"),
    }


RABBITMQ_SERVER_ENV: dict[str, Source] = {
    "RABBITMQ_DEFAULT_USER": FromSecret("rabbitmq", "RABBITMQ_USER"),
    "RABBITMQ_DEFAULT_PASS": FromSecret("rabbitmq", "RABBITMQ_PASSWORD"),
    "RABBITMQ_DEFAULT_VHOST": FromConfig("RABBITMQ_VHOST"),
}
