"""The three backends (two databases, the broker) and where each mode puts them: the host,
port and Secret the apps are pointed at, as template expressions chosen by ``<key>.mode``.

bundled: the chart's own StatefulSet or Deployment and Secret. operator: the resource the
operator makes from the chart's custom resource, with its documented names (CloudNativePG:
Service ``<cluster>-rw``, Secret ``<cluster>-app``; RabbitMQ Cluster Operator: Service
``<name>``, Secret ``<name>-default-user``; both Secrets hold ``username`` and ``password``).
external: what ``<key>.external`` names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.chart.model import BackendMode as Mode
from services import contract

Field = Literal["USER", "PASSWORD"]
# The keys the operators write into the Secrets they make.
OPERATOR_KEYS: dict[Field, str] = {"USER": "username", "PASSWORD": "password"}
EXTERNAL_KEYS: dict[Field, str] = {
    "USER": "existingSecretUserKey",
    "PASSWORD": "existingSecretPasswordKey",
}


@dataclass(frozen=True)
class Backend:
    """One backend: its values key, object name, the prefix of its variables and Secret
    keys (``<prefix>_HOST``, ``<prefix>_USER``...), its bundled Secret (``secrets_key``:
    that Secret's ``existingSecrets`` key) and the operator's names."""

    key: str
    name: str
    prefix: str
    secrets_key: Literal["db", "rabbitmq"]
    bundled_secret: str
    bundled_port: str
    operator_service: str
    operator_secret: str
    operator_port: int

    def by_mode(self, bundled: str, operator: str, external: str) -> str:
        """A template expression that is one of three expressions, by this backend's mode."""
        return (
            f'get (dict "bundled" ({bundled}) "operator" ({operator}) "external" ({external}))'
            f" $.Values.{self.key}.mode"
        )

    def when(self, mode: Mode) -> str:
        return f'eq .Values.{self.key}.mode "{mode}"'

    @property
    def host(self) -> str:
        return self.by_mode(
            f'"{self.name}"', f'"{self.operator_service}"', f"$.Values.{self.key}.external.host"
        )

    @property
    def port(self) -> str:
        return self.by_mode(
            f"$.Values.{self.bundled_port}",
            str(self.operator_port),
            f"$.Values.{self.key}.external.port",
        )

    @property
    def secret_name(self) -> str:
        return self.by_mode(
            f'$.Values.existingSecrets.{self.secrets_key} | default "{self.bundled_secret}"',
            f'"{self.operator_secret}"',
            f"$.Values.{self.key}.external.existingSecret",
        )

    def secret_key(self, field: Field) -> str:
        return self.by_mode(
            f'"{self.prefix}_{field}"',
            f'"{OPERATOR_KEYS[field]}"',
            f"$.Values.{self.key}.external.{EXTERNAL_KEYS[field]}",
        )


def _database(component: contract.Component, key: str, prefix: str) -> Backend:
    return Backend(
        key=key,
        name=component.name,
        prefix=prefix,
        secrets_key="db",
        bundled_secret=contract.DB_SECRET,
        bundled_port=f"{key}.service.port",
        operator_service=f"{component.name}-rw",
        operator_secret=f"{component.name}-app",
        operator_port=component.port,
    )


INVENTORY_DB = _database(contract.INVENTORY_DB, "inventoryDb", "INVENTORY_DB")
BILLING_DB = _database(contract.BILLING_DB, "billingDb", "BILLING_DB")
RABBITMQ = Backend(
    key="rabbitmq",
    name=contract.RABBITMQ.name,
    prefix="RABBITMQ",
    secrets_key="rabbitmq",
    bundled_secret=contract.RABBITMQ_SECRET,
    bundled_port="rabbitmq.service.amqpPort",
    operator_service=contract.RABBITMQ.name,
    operator_secret=f"{contract.RABBITMQ.name}-default-user",
    operator_port=contract.RABBITMQ.port,
)
BACKENDS = (INVENTORY_DB, BILLING_DB, RABBITMQ)
DATABASES = (INVENTORY_DB, BILLING_DB)


def external_checks() -> str:
    """Template lines that stop the render in one line when a backend in external mode
    lacks its host or Secret (``required``), rather than point the apps at nothing."""
    checks = []
    for backend in BACKENDS:
        for setting in ("host", "existingSecret"):
            path = f"{backend.key}.external.{setting}"
            message = f"{path} is required when {backend.key}.mode is external"
            checks.append(
                f"{{{{- if {backend.when('external')} }}}}"
                f'{{{{- $_ := required "{message}" .Values.{path} }}}}{{{{- end }}}}'
            )
    return "\n".join(checks)


def credential(variable: str) -> tuple[Backend, Field] | None:
    """The backend and field of a credential variable (``INVENTORY_DB_PASSWORD``...)."""
    for backend in BACKENDS:
        for field in OPERATOR_KEYS:
            if variable == f"{backend.prefix}_{field}":
                return backend, field
    return None
