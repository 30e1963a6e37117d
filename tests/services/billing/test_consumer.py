"""The billing consumer in-process, on the real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client import CollectorRegistry

from faults.tcp_proxy import TcpProxy
from services.billing.config import ENVIRONMENT, ConsumerSettings
from services.billing.consumer import BillingConsumer, ConsumerState
from services.billing.metrics import BillingMetrics
from services.billing.storage import OrderStore, migrate
from services.common.broker import declare_order_queues
from services.common.config import Reader
from services.common.db import ConnectionPool, DbSettings
from tests.harness.backends import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    Database,
    QueueName,
    broker,
    broker_settings,
)

GOOD = {"user_id": 1, "number_of_items": 2, "total_amount": "3.50"}


def publish(
    queue: str,
    bodies: list[bytes],
    *,
    message_ids: list[str | None] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    ids = message_ids or [uuid.uuid4().hex for _ in bodies]
    with broker() as conn:
        declare_order_queues(conn, broker_settings(queue))
        producer = conn.Producer(conn.channel())
        for body, message_id in zip(bodies, ids, strict=True):
            properties = {"message_id": message_id} if message_id else {}
            producer.publish(
                body,
                routing_key=queue,
                exchange="",
                delivery_mode=2,
                content_type="application/json",
                headers=headers or {},
                **properties,
            )


def order(**changes: object) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


@dataclass
class Running:
    consumer: BillingConsumer
    state: ConsumerState
    metrics: BillingMetrics
    registry: CollectorRegistry
    stop: threading.Event
    thread: threading.Thread

    def count(self, name: str) -> float:
        return self.registry.get_sample_value(name) or 0.0


@pytest.fixture
def fresh_db(billing_db: Database) -> Database:
    conn_pool = ConnectionPool(_settings(billing_db.name, PG_PORT), migrate)
    conn_pool.run("TRUNCATE orders")
    conn_pool.close_all()
    return billing_db


def _settings(name: str, port: int) -> DbSettings:
    return DbSettings(host=PG_HOST, port=port, name=name, user=PG_USER, timeout_seconds=2.0)


@pytest.fixture
def run_consumer(queue: QueueName) -> Iterator:
    started: list[tuple[Running, ConnectionPool]] = []

    def run(db: Database, *, db_port: int = PG_PORT, batch_size: int = 50) -> Running:
        pool = ConnectionPool(_settings(db.name, db_port), migrate)
        registry = CollectorRegistry()
        metrics, state, stop = BillingMetrics(registry), ConsumerState(), threading.Event()
        consumer = BillingConsumer(
            broker=broker_settings(queue.name),
            settings=ConsumerSettings.from_env(
                Reader.of(
                    {"BILLING_BATCH_SIZE": str(batch_size), "BILLING_BACKOFF_MAX_SECONDS": "0.5"},
                    ENVIRONMENT,
                )
            ),
            store=OrderStore(pool),
            metrics=metrics,
            state=state,
        )
        thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
        thread.start()
        running = Running(consumer, state, metrics, registry, stop, thread)
        started.append((running, pool))
        return running

    yield run
    for running, pool in started:
        running.stop.set()
        running.thread.join(timeout=10)
        pool.close_all()


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def rows(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM orders"))


def test_batch_is_stored_then_acknowledged(run_consumer, fresh_db, queue):
    publish(queue.name, [order(user_id=i) for i in range(1, 121)])
    run_consumer(fresh_db)
    wait_for(lambda: rows(fresh_db) == 120)
    wait_for(lambda: queue.depth() == 0)
    assert fresh_db.scalar("SELECT count(DISTINCT user_id) FROM orders") == 120
    assert fresh_db.scalar("SELECT sum(total_amount) FROM orders") == pytest.approx(420)


def test_redelivered_message_id_is_stored_once(run_consumer, fresh_db, queue):
    running = run_consumer(fresh_db)
    publish(queue.name, [order(), order(), order(user_id=9)], message_ids=["same", "same", "other"])
    wait_for(
        lambda: (
            running.count("billing_orders_stored_total")
            + running.count("billing_orders_duplicate_total")
            == 3
        )
    )
    assert rows(fresh_db) == 2
    assert running.count("billing_orders_duplicate_total") == 1


def test_poison_messages_are_dead_lettered_and_good_ones_stored(run_consumer, fresh_db, queue):
    poison = [
        b"not json",
        b"\xff\xfe",
        order(user_id="abc"),
        order(number_of_items=-1),
        json.dumps({"user_id": 1}).encode(),
        b"[1, 2, 3]",
        order(pad="x" * 100_000),
        b"[" * 100_000,
    ]
    bodies = [order(user_id=100), *poison, order(user_id=200)]
    publish(queue.name, bodies)
    running = run_consumer(fresh_db)
    wait_for(lambda: running.count("billing_messages_dead_lettered_total") == len(poison))
    wait_for(lambda: queue.depth() == 0)
    assert sorted(r[0] for r in fresh_db.query("SELECT user_id FROM orders")) == [100, 200]
    assert queue.depth(queue.dead) == len(poison)
    with broker() as conn:
        dead = conn.default_channel.basic_get(queue.dead, no_ack=True)
        assert dead.body == b"not json"
        assert "not JSON" in dead.headers["x-dead-letter-reason"]
    publish(queue.name, [order(user_id=300)])  # the consumer kept going
    wait_for(lambda: rows(fresh_db) == 3)


def test_database_away_pauses_consuming_and_recovers(run_consumer, fresh_db, queue):
    relay = TcpProxy(("127.0.0.1", PG_PORT)).start()
    relay.cut()
    running = run_consumer(fresh_db, db_port=relay.port)
    publish(queue.name, [order(user_id=i) for i in range(1, 11)])
    time.sleep(1.0)
    assert not running.state.consuming.is_set()
    assert queue.depth() == 10  # nothing taken while it cannot be stored
    relay.restore()
    wait_for(lambda: rows(fresh_db) == 10)
    assert running.state.consuming.is_set()
    relay.cut()


def test_stop_returns_promptly_and_leaves_nothing_unacknowledged(run_consumer, fresh_db, queue):
    running = run_consumer(fresh_db)
    wait_for(running.state.consuming.is_set)
    publish(queue.name, [order(user_id=i) for i in range(1, 301)])
    running.stop.set()
    running.thread.join(timeout=5)
    assert not running.thread.is_alive()
    stored = rows(fresh_db)
    wait_for(lambda: queue.depth() == 300 - stored)  # the rest went back to the queue


@pytest.mark.parametrize(
    "headers",
    [{"compression": "application/x-unknown"}, {"compression": "application/x-gzip"}],
)
def test_envelope_kombu_cannot_unpack_is_dead_lettered_not_a_crash(
    run_consumer, fresh_db, queue, headers
):
    # Found by the faults suite: kombu raised inside the loop, billing exited, and the same
    # message came back after every restart, blocking every order behind it.
    # A valid order inside: only the envelope is broken, and it must still not be stored.
    publish(queue.name, [order(user_id=4)], headers=headers)
    publish(queue.name, [order(user_id=5)])
    running = run_consumer(fresh_db)
    wait_for(lambda: running.count("billing_messages_dead_lettered_total") == 1)
    wait_for(lambda: rows(fresh_db) == 1)
    assert running.thread.is_alive()
