"""What a service reads from its environment, declared once beside its configuration loader.

Each service's ``config.py`` lists its variables as ``ENVIRONMENT``. The chart generator builds
every container's ``env`` from that list, ``orchestrator local`` fills it for local processes,
and the tests check that a loader reads nothing it did not declare and that its defaults are the
declared ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from services import contract


@dataclass(frozen=True)
class Variable:
    """One environment variable. ``default`` None means required; a ``tuning`` variable is an
    optional knob that deployments may leave out (the contract ones they must provide)."""

    name: str
    description: str
    default: str | None = None
    secret: bool = False
    tuning: bool = False

    @property
    def required(self) -> bool:
        return self.default is None


Environment = tuple[Variable, ...]


def server(port: int, threads: int) -> Environment:
    return (
        Variable("HOST", "Address to listen on", "0.0.0.0"),  # noqa: S104 - containers listen on all
        Variable("PORT", "HTTP port", str(port)),
        Variable(
            "HTTP_SERVER",
            "HTTP server: `waitress`, or `granian` (embedded; several times the throughput)",
            "waitress",
        ),
        Variable("THREADS", "Worker threads that run requests", str(threads), tuning=True),
        Variable(
            "QUEUE_LOG_SECONDS", "Interval of the busy-server summary line", "10.0", tuning=True
        ),
    )


def broker() -> Environment:
    return (
        Variable("RABBITMQ_HOST", "RabbitMQ host", contract.RABBITMQ.name),
        Variable("RABBITMQ_PORT", "RabbitMQ AMQP port", str(contract.RABBITMQ.port)),
        Variable("RABBITMQ_VHOST", "RabbitMQ virtual host", "/"),
        Variable("RABBITMQ_USER", "RabbitMQ user", secret=True),
        Variable("RABBITMQ_PASSWORD", "RabbitMQ password", secret=True),
        Variable("BILLING_QUEUE", "Durable queue of orders", contract.BILLING_QUEUE),
        Variable("RABBITMQ_CONNECT_TIMEOUT_SECONDS", "Broker connect timeout", "2.0", tuning=True),
    )


def database(prefix: str, component: contract.Component, name: str) -> Environment:
    """``<prefix>_HOST``... for one service's own PostgreSQL database."""
    return (
        Variable(f"{prefix}_HOST", "PostgreSQL host", component.name),
        Variable(f"{prefix}_PORT", "PostgreSQL port", str(component.port)),
        Variable(f"{prefix}_NAME", "Database name", name),
        Variable(f"{prefix}_USER", "Database user", secret=True),
        Variable(f"{prefix}_PASSWORD", "Database password", secret=True),
        Variable("DB_TIMEOUT_SECONDS", "Connect and socket timeout", "5.0", tuning=True),
        Variable("DB_STATEMENT_TIMEOUT_MS", "Per-statement timeout", "5000", tuning=True),
    )


def body_limit() -> Environment:
    return (Variable("MAX_BODY_BYTES", "Largest JSON body accepted", str(64 * 1024), tuning=True),)


def names(environment: Environment) -> list[str]:
    return [variable.name for variable in environment]
