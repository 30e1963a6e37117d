"""What `orchestrator local` runs and where: the one declaration of its ports, databases and
queue. Each field can be overridden by `LOCAL_<FIELD>` (e.g. `LOCAL_GATEWAY_PORT=3100`), which
is how the tests run a second `local` beside the user's own."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator.local.programs import ROOT, Program
from services import contract
from services.common.broker import BrokerSettings

SERVICES = (contract.INVENTORY.short, contract.BILLING.short, contract.GATEWAY.short)


@dataclass(frozen=True)
class LocalConfig:
    gateway_port: int = contract.LOCAL_PORTS[contract.GATEWAY.short]
    inventory_port: int = contract.LOCAL_PORTS[contract.INVENTORY.short]
    billing_port: int = contract.LOCAL_PORTS[contract.BILLING.short]
    gateway_metrics_port: int = contract.LOCAL_METRICS_PORTS[contract.GATEWAY.short]
    inventory_metrics_port: int = contract.LOCAL_METRICS_PORTS[contract.INVENTORY.short]
    billing_metrics_port: int = contract.LOCAL_METRICS_PORTS[contract.BILLING.short]
    inventory_db: str = contract.INVENTORY_DATABASE
    billing_db: str = contract.BILLING_DATABASE
    billing_queue: str = contract.BILLING_QUEUE
    db_host: str = "127.0.0.1"
    db_port: int = 5432
    db_user: str = "postgres"
    # Ignored under trust authentication, but the services require a value.
    db_password: str = "postgres"  # noqa: S105 - the documented local default
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = 5672
    rabbitmq_vhost: str = "/"
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = "guest"  # noqa: S105 - RabbitMQ's own default
    # Where supervisord's configuration, control socket and the logs live (the checkout's
    # .orchestrator/local by default).
    state_dir: Path = Path(".orchestrator/local")
    # Where `local --private-servers` keeps its own PostgreSQL and RabbitMQ, data included
    # (the checkout's .orchestrator/servers by default).
    servers_dir: Path = Path(".orchestrator/servers")

    @classmethod
    def from_env(cls, env: Mapping[str, str], root: Path) -> LocalConfig:
        values: dict[str, object] = {
            "state_dir": root / ".orchestrator" / "local",
            "servers_dir": root / ".orchestrator" / "servers",
        }
        for spec in dataclasses.fields(cls):
            raw = env.get(f"LOCAL_{spec.name.upper()}")
            if raw is not None:
                values[spec.name] = _convert(spec.name, spec.type, raw)
        return cls(**values)  # type: ignore[arg-type]

    def port(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def metrics_port(self, service: str) -> int:
        return int(getattr(self, f"{service}_metrics_port"))

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def log(self, program: str) -> Path:
        return self.state_dir / "logs" / f"{program}.log"

    def broker(self) -> BrokerSettings:
        return BrokerSettings(
            host=self.rabbitmq_host,
            port=self.rabbitmq_port,
            vhost=self.rabbitmq_vhost,
            user=self.rabbitmq_user,
            password=self.rabbitmq_password,
            queue=self.billing_queue,
            connect_timeout=5.0,
        )

    def summary(self) -> str:
        urls = ", ".join(f"{name} {self.url(name)}" for name in reversed(SERVICES))
        return f"{urls}; their logs in {self.state_dir / 'logs'}"


def _convert(name: str, kind: object, raw: str) -> object:
    if kind in (int, "int"):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"LOCAL_{name.upper()} must be a whole number, not {raw!r}") from None
    if kind in (Path, "Path"):
        return Path(raw)
    return raw


def programs(config: LocalConfig) -> tuple[Program, ...]:
    """The three services, started in this order, with the environment the services read."""
    broker = {
        "RABBITMQ_HOST": config.rabbitmq_host,
        "RABBITMQ_PORT": str(config.rabbitmq_port),
        "RABBITMQ_VHOST": config.rabbitmq_vhost,
        "RABBITMQ_USER": config.rabbitmq_user,
        "RABBITMQ_PASSWORD": config.rabbitmq_password,
        "BILLING_QUEUE": config.billing_queue,
    }

    def database(prefix: str, name: str) -> dict[str, str]:
        return {
            f"{prefix}_DB_HOST": config.db_host,
            f"{prefix}_DB_PORT": str(config.db_port),
            f"{prefix}_DB_NAME": name,
            f"{prefix}_DB_USER": config.db_user,
            f"{prefix}_DB_PASSWORD": config.db_password,
        }

    envs = {
        "inventory": database("INVENTORY", config.inventory_db),
        "billing": {**broker, **database("BILLING", config.billing_db)},
        "gateway": {"INVENTORY_URL": config.url("inventory"), **broker},
    }
    return tuple(
        Program(
            name,
            (sys.executable, "-m", f"services.{name}"),
            {
                **envs[name],
                "HOST": "127.0.0.1",
                "PORT": str(config.port(name)),
                "METRICS_PORT": str(config.metrics_port(name)),
                "PYTHONPATH": str(ROOT),
            },
            log=config.log(name),
            priority=100 + order,
        )
        for order, name in enumerate(SERVICES)
    )
