"""The billing drain: a backlog queued while billing is stopped, then stored by billing."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pg8000.native import Connection

from bench import cpu
from bench.broker_load import publish_pipelined
from bench.memory import PeakRss
from bench.wrk import BenchError
from tests.harness.backends import pg
from tests.harness.stack import Stack

BACKLOG = 10_000
POLL_SECONDS = 0.05
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class DrainResult:
    orders: int
    seconds: float
    backlog_publish_per_s: float
    cpu_us_per_order: dict[str, int]

    @property
    def orders_per_s(self) -> float:
        return self.orders / self.seconds

    def as_dict(self) -> dict[str, float | int]:
        return {
            "orders": self.orders,
            "seconds": round(self.seconds, 3),
            "orders_per_s": round(self.orders_per_s, 1),
            "backlog_publish_per_s": round(self.backlog_publish_per_s, 1),
            "cpu_us_per_order": self.cpu_us_per_order,
        }


def drain(stack: Stack, peaks: PeakRss) -> DrainResult:
    """Billing must be stopped and the queue empty; leaves billing running with 10,000 rows."""
    if stack.queue.depth() or stack.orders():
        raise BenchError("the drain needs an empty queue and an empty orders table")
    publish_rate = publish_pipelined(stack.queue.name, BACKLOG)
    if stack.queue.depth() != BACKLOG:
        raise BenchError(f"backlog is {stack.queue.depth()} messages, expected {BACKLOG}")
    stack.billing.start(wait_for="/readyz")
    # Timed from readiness (the consumer is attached), not process start: a Python start-up
    # is not billing's throughput. Rows stored before that moment are left out of the count.
    # One connection for all the polling: a new one per poll would fork a backend each time.
    conn = pg(stack.billing_db.name)
    try:
        pids = {"billing": stack.billing.pid}
        servers = ("postgres", "rabbitmq")
        cpu_before = cpu.snapshot(pids, servers)
        started, already = time.perf_counter(), _count(conn)
        with peaks.sampling([stack.billing]):
            finished = _wait_for_rows(conn, BACKLOG)
        used = cpu.spent(cpu_before, cpu.snapshot(pids, servers))
    finally:
        conn.close()
    _check_exactly_once(stack)
    stored = BACKLOG - already
    return DrainResult(stored, finished - started, publish_rate, cpu.per_unit_us(used, stored))


def _count(conn: Connection) -> int:
    return int(conn.run("SELECT count(*) FROM orders")[0][0])


def _wait_for_rows(conn: Connection, expected: int) -> float:
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        if _count(conn) >= expected:
            return time.perf_counter()
        time.sleep(POLL_SECONDS)
    raise BenchError(f"billing stored {_count(conn)} of {expected} orders in {TIMEOUT_SECONDS}s")


def _check_exactly_once(stack: Stack) -> None:
    time.sleep(1)  # a late duplicate would show up here
    rows = stack.billing_db.query("SELECT count(*), count(DISTINCT message_id) FROM orders")
    total, distinct = rows[0]
    depth = stack.queue.depth()
    if (total, distinct, depth) != (BACKLOG, BACKLOG, 0):
        raise BenchError(
            f"expected exactly {BACKLOG} rows and an empty queue, found {total} rows "
            f"({distinct} distinct message ids) and {depth} messages queued"
        )
