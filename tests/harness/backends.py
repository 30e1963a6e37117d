"""Per-run databases and queues on the real PostgreSQL and RabbitMQ of this machine."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pg8000.native
from kombu import Connection

from services.common.broker import BrokerSettings

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TEST_PG_USER", "postgres")
PG_PASSWORD = os.environ.get("TEST_PG_PASSWORD", "")
MQ_HOST = os.environ.get("TEST_RABBITMQ_HOST", "127.0.0.1")
MQ_PORT = int(os.environ.get("TEST_RABBITMQ_PORT", "5672"))
MQ_USER = os.environ.get("TEST_RABBITMQ_USER", "guest")
MQ_PASSWORD = os.environ.get("TEST_RABBITMQ_PASSWORD", "guest")


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def pg(database: str = "postgres") -> pg8000.native.Connection:
    return pg8000.native.Connection(
        PG_USER,
        host=PG_HOST,
        port=PG_PORT,
        database=database,
        password=PG_PASSWORD or None,
        timeout=10,
    )


def broker() -> Connection:
    return Connection(
        hostname=MQ_HOST, port=MQ_PORT, userid=MQ_USER, password=MQ_PASSWORD, connect_timeout=5
    )


def broker_settings(queue: str, *, port: int = MQ_PORT) -> BrokerSettings:
    """The services' own broker settings, pointed at this machine's RabbitMQ."""
    return BrokerSettings(
        host=MQ_HOST, port=port, vhost="/", user=MQ_USER, password=MQ_PASSWORD, queue=queue
    )


def check_reachable() -> str | None:
    """Returns why the test servers cannot be used, or None when both answer."""
    try:
        pg().close()
    except Exception as error:
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable ({error}); start it first"
    try:
        with broker() as conn:
            conn.ensure_connection(max_retries=0)
    except Exception as error:
        return f"RabbitMQ at {MQ_HOST}:{MQ_PORT} is unreachable ({error}); start it first"
    return None


@dataclass(frozen=True)
class Database:
    name: str

    @classmethod
    def create(cls, prefix: str) -> Database:
        db = cls(unique(prefix))
        admin = pg()
        try:
            admin.run(f'CREATE DATABASE "{db.name}"')
        finally:
            admin.close()
        return db

    def drop(self) -> None:
        admin = pg()
        try:
            admin.run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            admin.close()

    def query(self, sql: str, **params: object) -> list[list[object]]:
        conn = pg(self.name)
        try:
            return conn.run(sql, **params)
        finally:
            conn.close()

    def scalar(self, sql: str, **params: object) -> object:
        return self.query(sql, **params)[0][0]

    def env(self, prefix: str) -> dict[str, str]:
        return {
            f"{prefix}_HOST": PG_HOST,
            f"{prefix}_PORT": str(PG_PORT),
            f"{prefix}_NAME": self.name,
            f"{prefix}_USER": PG_USER,
            f"{prefix}_PASSWORD": PG_PASSWORD or "unused-with-trust-auth",
        }


@dataclass(frozen=True)
class QueueName:
    name: str

    @property
    def dead(self) -> str:
        return f"{self.name}.dead"

    def env(self) -> dict[str, str]:
        return {
            "RABBITMQ_HOST": MQ_HOST,
            "RABBITMQ_PORT": str(MQ_PORT),
            "RABBITMQ_USER": MQ_USER,
            "RABBITMQ_PASSWORD": MQ_PASSWORD,
            "BILLING_QUEUE": self.name,
        }

    def depth(self, queue: str | None = None) -> int:
        with broker() as conn:
            try:
                _, count, _ = conn.default_channel.queue_declare(
                    queue=queue or self.name, passive=True
                )
            except conn.channel_errors:
                return 0
            return count

    def delete(self) -> None:
        with broker() as conn:
            for name in (self.name, self.dead):
                conn.default_channel.queue_delete(queue=name)
