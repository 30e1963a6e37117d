"""The PostgreSQL primary dies under load and its standby takes over, as CloudNativePG fails
over: the real services write movies and orders through the relay that stands for the `-rw`
Service; the primary is killed with -9 (postmaster and backends, as when its node dies), the
standby is promoted with `pg_ctl promote`, and the relay moves to it. Then every movie and
every order answered 200 must be on the survivor exactly once.

Run twice by the scenarios `pg-failover-sync` and `pg-failover-async`: with synchronous
replication a commit returns only once the standby has it, so nothing acknowledged may be
lost; with asynchronous replication the last commits before the kill may not have reached
the standby, and what was lost so is reported, not failed (a duplicate fails both)."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from faults.context import Context
from faults.flow import Flow, movie_sender, order_sender
from faults.pg_pair import SUPERUSER, PgPair, Server
from faults.result import Result, account_orders
from faults.stack import wait_for
from faults.vhost import Vhost
from tests.harness.backends import Database, QueueName, unique
from tests.harness.stack import Stack

_INVENTORY_DB, _BILLING_DB = "inventory", "billing"
_RECOVERY_SECONDS = 30.0
_START_SECONDS = 60.0


def claim(synchronous: bool) -> str:
    mode = "synchronous" if synchronous else "asynchronous"
    promise = (
        "every movie and order answered 200 is on the promoted standby exactly once"
        if synchronous
        else "none is stored twice; what the standby had not received is lost and reported"
    )
    return (
        f"A PostgreSQL primary with a streaming standby ({mode} replication) behind a relay "
        "standing for the `-rw` Service; while movies are created through the gateway and "
        "billing drains orders, the primary is killed with -9, the standby promoted and the "
        f"relay switched to it: the services recover by themselves and {promise}."
    )


def run_failover(ctx: Context, name: str, *, synchronous: bool) -> Result:
    result = Result(name, claim(synchronous))
    rng = ctx.random(name)
    clock = _Phases()
    pair = PgPair.create(synchronous=synchronous)
    try:
        pair.create_database(_INVENTORY_DB)
        pair.create_database(_BILLING_DB)
        clock.mark("servers")
        vhost = Vhost.create()
        try:
            stack = _stack(ctx.workdir / name, pair, vhost)
            try:
                _start(stack)
                clock.mark("services")
                _exercise(ctx, rng.uniform(2.0, 3.0), result, pair, stack, vhost)
                clock.mark("load and checks")
            finally:
                _stop(stack)  # its queue goes with the vhost
        finally:
            vhost.delete()
    finally:
        pair.destroy()
        clock.mark("teardown")
        result.notes.append(f"seconds spent: {clock}")
    return result


class _Phases:
    """Where a run's time went, so that its share of CI's time budget can be kept small."""

    def __init__(self) -> None:
        self._last = time.monotonic()
        self._spent: list[str] = []

    def mark(self, phase: str) -> None:
        now = time.monotonic()
        self._spent.append(f"{phase} {now - self._last:.1f}")
        self._last = now

    def __str__(self) -> str:
        return ", ".join(self._spent)


def _start(stack: Stack) -> None:
    """All three at once: none needs another to become ready, and starting them one after
    another costs most of a run's time on a loaded machine."""
    services = (stack.inventory, stack.billing, stack.gateway)
    for service in services:
        service.spawn()
    for service in services:
        service.wait_until("/readyz", timeout=_START_SECONDS)


def _stop(stack: Stack) -> None:
    services = (stack.gateway, stack.billing, stack.inventory)
    with ThreadPoolExecutor(len(services)) as pool:
        list(pool.map(lambda service: service.stop(), services))


def _stack(workdir: Path, pair: PgPair, vhost: Vhost) -> Stack:
    """The three services, their databases reached through the relay only."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**vhost.env()}
    for prefix, database in (("INVENTORY_DB", _INVENTORY_DB), ("BILLING_DB", _BILLING_DB)):
        env |= {
            f"{prefix}_HOST": "127.0.0.1",
            f"{prefix}_PORT": str(pair.relay.port),
            f"{prefix}_NAME": database,
            f"{prefix}_USER": SUPERUSER,
            f"{prefix}_PASSWORD": "unused-with-trust-auth",
        }
    # The Stack's own databases are never created: the services use the pair's.
    names = Database(unique("unused")), Database(unique("unused"))
    return Stack(workdir, *names, QueueName(unique("billing_queue")), env)


def _exercise(
    ctx: Context, before_kill: float, result: Result, pair: PgPair, stack: Stack, vhost: Vhost
) -> None:
    total = ctx.scale(20_000, 10_000)
    orders = Flow(order_sender(stack.gateway.url), total=total, rate=150).start()
    movies = Flow(movie_sender(stack.gateway.url), total=total, rate=60, workers=4).start()
    try:
        time.sleep(before_kill)
        at = _fail_over(result, pair)
        first = wait_for(
            lambda: movies.first_success_after(at) is not None, timeout=_RECOVERY_SECONDS
        )
        result.expect(first is not None, f"inventory did not recover within {_RECOVERY_SECONDS} s")
        time.sleep(2.0)
    finally:
        orders.stop()
        movies.stop()
    survivor = pair.standby
    _settle(survivor, vhost, stack.queue.name)
    _check_orders(result, survivor, orders, lossless=pair.synchronous)
    _check_movies(result, survivor, movies, lossless=pair.synchronous)
    served = movies.first_success_after(at)
    result.figures.recovered(None if served is None else served - at)
    result.figures.dead_lettered = vhost.depth(stack.queue.dead)
    retried = {
        s.name: s.logs().count("database call failed") for s in (stack.inventory, stack.billing)
    }
    result.notes.append(
        f"statements retried on a fresh connection: inventory {retried['inventory']}, "
        f"billing {retried['billing']}"
    )


def _fail_over(result: Result, pair: PgPair) -> float:
    """Kills the primary, promotes the standby, moves the relay; returns when it died."""
    pair.kill_primary()
    died = time.monotonic()
    pair.promote()
    pair.relay.switch(pair.standby.address)
    took = time.monotonic() - died
    result.notes.append(f"standby promoted and relay switched {took:.2f} s after the primary died")
    return died


def _settle(survivor: Server, vhost: Vhost, queue: str, *, quiet: float = 2.0) -> None:
    """Waits until the queue is empty and the stored count has stopped moving."""
    deadline = time.monotonic() + 90
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = int(str(survivor.scalar("SELECT count(*) FROM orders", _BILLING_DB)))
        if count != last or vhost.depth(queue) > 0:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.25)


def _check_orders(result: Result, survivor: Server, orders: Flow, *, lossless: bool) -> None:
    statuses = orders.statuses()
    result.count_statuses(statuses)
    unexpected = set(statuses) - {200}
    result.expect(not unexpected, f"order answers other than 200: {sorted(unexpected)}")
    rows = survivor.query("SELECT user_id FROM orders", _BILLING_DB)
    judge_orders(
        result,
        sent=len(orders.answers),
        acknowledged=orders.keys_with(200),
        stored_user_ids=[int(str(row[0])) for row in rows],
        lossless=lossless,
    )


def judge_orders(
    result: Result, *, sent: int, acknowledged: set[int], stored_user_ids: list[int], lossless: bool
) -> None:
    """The suite's order accounting; without `lossless` a loss is reported, not failed."""
    counted = Result(result.name, result.claim)
    account_orders(counted, sent=sent, acknowledged=acknowledged, stored_user_ids=stored_user_ids)
    result.figures = counted.figures
    result.notes.extend(counted.notes)
    if lossless:
        result.failures.extend(counted.failures)
        return
    result.notes.append(
        f"asynchronous replication lost {counted.figures.lost} of "
        f"{counted.figures.acknowledged} orders answered 200 (reported, not failed)"
    )
    result.expect(counted.figures.duplicates == 0, f"{counted.figures.duplicates} orders doubled")


def _check_movies(result: Result, survivor: Server, movies: Flow, *, lossless: bool) -> None:
    statuses = movies.statuses()
    unexpected = set(statuses) - {200, 503}
    result.expect(not unexpected, f"movie answers other than 200/503: {sorted(unexpected)}")
    rows = survivor.query("SELECT title FROM movies", _INVENTORY_DB)
    judge_movies(
        result,
        created={k for k in movies.keys_with(200) if k % 2},
        stored_keys=[int(str(row[0]).removeprefix("movie-")) for row in rows],
        lossless=lossless,
    )
    by_status = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    result.notes.append(f"movie requests: {len(movies.answers)} ({by_status})")


def judge_movies(
    result: Result, *, created: set[int], stored_keys: list[int], lossless: bool
) -> None:
    """Every creation answered 200 stored (when `lossless`), none stored twice."""
    stored = Counter(stored_keys)
    lost = created - stored.keys()
    doubled = sum(count - 1 for count in stored.values())
    result.expect(doubled == 0, f"{doubled} movies stored more than once")
    if lossless:
        result.expect(not lost, f"{len(lost)} movies answered 200 but not stored")
    result.notes.append(
        f"movies: {len(created)} creations answered 200, {len(stored_keys)} rows, "
        f"{len(lost)} lost, {doubled} doubled"
    )
