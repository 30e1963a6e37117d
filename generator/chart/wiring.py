"""Who is called what and reads what: the names and environment of ../shared/DESIGN.md.

The ConfigMap ``app-config`` and the Secrets ``db-secrets`` / ``rabbitmq-secrets`` are
built from these tables, and so is every container's ``env``: a variable a service reads
can only come from a key that one of them holds.
"""

from __future__ import annotations

from dataclasses import dataclass

CONFIG_MAP = "app-config"
# Names of Secrets, not secrets.
DB_SECRET = "db-secrets"  # noqa: S105
RABBITMQ_SECRET = "rabbitmq-secrets"  # noqa: S105


@dataclass(frozen=True)
class Names:
    """Object names (a contract) and the values key of each component."""

    gateway: str = "api-gateway"
    inventory: str = "inventory-app"
    billing: str = "billing-app"
    inventory_db: str = "inventory-db"
    billing_db: str = "billing-db"
    rabbitmq: str = "rabbitmq"


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


def _config(*keys: str) -> dict[str, Source]:
    return {key: FromConfig(key) for key in keys}


def _secret(secret: str, *keys: str) -> dict[str, Source]:
    return {key: FromSecret(secret, key) for key in keys}


_RABBITMQ_CLIENT = _config("RABBITMQ_HOST", "RABBITMQ_PORT", "RABBITMQ_VHOST", "BILLING_QUEUE")
_RABBITMQ_LOGIN = _secret("rabbitmq", "RABBITMQ_USER", "RABBITMQ_PASSWORD")

# What each service reads (DESIGN.md's table), and where it comes from.
GATEWAY_ENV: dict[str, Source] = {
    "HOST": FromConfig("HOST"),
    "PORT": FromConfig("GATEWAY_PORT"),
    **_config("INVENTORY_URL"),
    **_RABBITMQ_CLIENT,
    **_RABBITMQ_LOGIN,
}
INVENTORY_ENV: dict[str, Source] = {
    "HOST": FromConfig("HOST"),
    "PORT": FromConfig("INVENTORY_PORT"),
    **_config("INVENTORY_DB_HOST", "INVENTORY_DB_PORT", "INVENTORY_DB_NAME"),
    **_secret("db", "INVENTORY_DB_USER", "INVENTORY_DB_PASSWORD"),
}
BILLING_ENV: dict[str, Source] = {
    "HOST": FromConfig("HOST"),
    "PORT": FromConfig("BILLING_PORT"),
    **_RABBITMQ_CLIENT,
    **_RABBITMQ_LOGIN,
    **_config("BILLING_DB_HOST", "BILLING_DB_PORT", "BILLING_DB_NAME"),
    **_secret("db", "BILLING_DB_USER", "BILLING_DB_PASSWORD"),
}


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
