"""The pool across what a switchover does to it, on the real PostgreSQL: its connections
terminated under work, a read-only server answering for a moment, and the connection lost
while a write commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from faults.tcp_proxy import TcpProxy
from services.billing.storage import OrderRecord, OrderStore
from services.billing.storage import migrate as migrate_billing
from services.common.db import ConnectionPool, DbSettings, RetryPolicy
from services.common.errors import DependencyUnavailable
from services.common.orders import Order
from services.inventory.storage import MovieStore
from services.inventory.storage import migrate as migrate_inventory
from tests.harness.backends import PG_HOST, PG_PORT, PG_USER, Database, pg

# Long enough for a relay cut of about a second to heal inside the retries.
PATIENT = RetryPolicy(attempts=8, first_delay=0.1, most_delay=0.5, budget_seconds=4.0)
# Slows each inserted movie down after its row is written, so that a test can cut the
# connection while the statement is under way; the server still commits it.
SLOW_TRIGGER = [
    """CREATE FUNCTION linger() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN PERFORM pg_sleep(0.6); RETURN NEW; END $$""",
    "CREATE TRIGGER linger AFTER INSERT ON movies FOR EACH ROW EXECUTE FUNCTION linger()",
]


def settings(db: Database, port: int = PG_PORT) -> DbSettings:
    return DbSettings(host=PG_HOST, port=port, name=db.name, user=PG_USER, retry=PATIENT)


@pytest.fixture
def movies_db() -> Iterator[Database]:
    db = Database.create("movies_switchover")
    yield db
    db.drop()


@pytest.fixture
def relay() -> Iterator[TcpProxy]:
    proxy = TcpProxy((PG_HOST, PG_PORT)).start()
    yield proxy
    proxy.cut()


def terminate(db: Database) -> int:
    admin = pg()
    try:
        rows = admin.run(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()",
            name=db.name,
        )
    finally:
        admin.close()
    return sum(1 for row in rows if row[0])


def read_only(db: Database, on: bool) -> None:
    """New sessions of `db` refuse writes (25006) as a standby's do, or take them again."""
    admin = pg()  # not a session of `db`: that one could not undo it
    try:
        admin.run(f'ALTER DATABASE "{db.name}" SET default_transaction_read_only = {on}')
    finally:
        admin.close()


def test_reads_and_idempotent_writes_survive_their_connections_being_terminated(movies_db):
    pool = ConnectionPool(settings(movies_db), migrate_inventory)
    store = MovieStore(pool)
    errors: list[BaseException] = []
    stop = threading.Event()
    created: list[int] = []

    def work() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                created.append(store.create(f"m-{threading.get_ident()}-{n}", "").id)
                store.page_json(after=0, limit=5)
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    killed = 0
    for _ in range(5):
        time.sleep(0.3)
        killed += terminate(movies_db)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    pool.close_all()
    assert killed >= 5, "the test terminated too few connections to prove anything"
    assert errors == []
    rows = movies_db.scalar("SELECT count(*) FROM movies")
    assert rows == len(created) == len(set(created))


def test_a_write_that_must_run_once_answers_503_after_a_broken_session(movies_db):
    pool = ConnectionPool(settings(movies_db), migrate_inventory)
    store = MovieStore(pool)
    movie = store.create("Alien", "")
    assert terminate(movies_db) == 1  # the pool's idle connection
    with pytest.raises(DependencyUnavailable):
        store.delete(movie.id)  # unknown whether a DELETE on that session ran: not repeated
    assert store.delete(movie.id) is True  # a fresh connection next time
    pool.close_all()


def test_a_read_only_server_is_retried_until_it_takes_writes(movies_db):
    pool = ConnectionPool(settings(movies_db), migrate_inventory)
    store = MovieStore(pool)
    store.ping()  # migrated while writable
    pool.close_all()
    read_only(movies_db, True)
    writable = threading.Timer(0.8, read_only, [movies_db, False])
    writable.start()
    started = time.monotonic()
    try:
        # Each attempt meets "cannot execute INSERT in a read-only transaction" (25006), as
        # from a standby that the service address still reached, until the server takes writes.
        movie = store.create("Heat", "")
    finally:
        writable.join()
    assert time.monotonic() - started >= 0.7
    assert movies_db.query("SELECT title FROM movies") == [[movie.title]]
    pool.close_all()


def test_a_read_only_server_for_good_answers_503_within_the_budget(movies_db):
    pool = ConnectionPool(settings(movies_db), migrate_inventory)
    pool.run_read("SELECT 1")
    pool.close_all()
    read_only(movies_db, True)
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable):
        MovieStore(pool).create("Ran", "")
    assert time.monotonic() - started <= PATIENT.budget_seconds + 1.0
    pool.close_all()


def _cut_while_running(relay: TcpProxy, *, after: float, healed_after: float) -> threading.Thread:
    def cut_and_heal() -> None:
        time.sleep(after)
        relay.cut()
        time.sleep(healed_after)
        relay.restore()

    thread = threading.Thread(target=cut_and_heal)
    thread.start()
    return thread


def test_a_create_whose_commit_went_unanswered_is_stored_once(movies_db, relay):
    pool = ConnectionPool(settings(movies_db, relay.port), migrate_inventory)
    store = MovieStore(pool)
    store.ping()
    for statement in SLOW_TRIGGER:
        movies_db.query(statement)
    # The cut lands while the trigger sleeps; the server commits once it wakes, the pool sees a
    # broken session, and repeats the create after the relay is back.
    cutter = _cut_while_running(relay, after=0.2, healed_after=1.0)
    movie = store.create("Ronin", "")
    cutter.join()
    rows = movies_db.query("SELECT id, title FROM movies")
    assert rows == [[movie.id, "Ronin"]]
    pool.close_all()


def test_a_plain_insert_whose_commit_went_unanswered_is_not_repeated(movies_db, relay):
    pool = ConnectionPool(settings(movies_db, relay.port), migrate_inventory)
    pool.run_read("SELECT 1")
    for statement in SLOW_TRIGGER:
        movies_db.query(statement)
    cutter = _cut_while_running(relay, after=0.2, healed_after=0.1)
    with pytest.raises(DependencyUnavailable):
        pool.run("INSERT INTO movies (title) VALUES ('Thief')")
    cutter.join()
    time.sleep(0.8)  # the server finishes the statement it was running
    # It did commit although the client was never told: repeating it would have made two.
    assert movies_db.query("SELECT title FROM movies") == [["Thief"]]
    pool.close_all()


def test_billing_batch_repeated_after_a_lost_connection_stores_each_order_once(relay):
    db = Database.create("movies_billing_switchover")
    try:
        pool = ConnectionPool(settings(db, relay.port), migrate_billing)
        store = OrderStore(pool)
        records = [
            OrderRecord(
                Order(user_id=n, number_of_items=1, total_amount=Decimal("1.00")), f"m-{n}", None
            )
            for n in range(1, 201)
        ]
        assert store.insert(records[:100]) == 100
        relay.cut()
        relay.restore()  # every pooled connection was reset
        # The first attempt fails on the reset connection; the repeat stores the rest and
        # skips the hundred already there.
        assert store.insert(records) == 100
        assert db.scalar("SELECT count(*) FROM orders") == 200
        assert db.scalar("SELECT count(DISTINCT message_id) FROM orders") == 200
        pool.close_all()
    finally:
        db.drop()


def test_the_readiness_ping_does_not_wait_out_the_retry_budget(movies_db, relay):
    pool = ConnectionPool(settings(movies_db, relay.port), migrate_inventory)
    pool.ping()
    relay.cut()
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable):
        pool.ping()
    assert time.monotonic() - started < 1.0 < PATIENT.budget_seconds
    relay.restore()
    pool.ping()  # the dropped connection was replaced
    pool.close_all()
