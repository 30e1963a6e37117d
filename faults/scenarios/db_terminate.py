"""pg_terminate_backend on the services' PostgreSQL connections while orders and movie
reads and writes flow."""

from __future__ import annotations

import time

from faults.accounting import account_flow
from faults.context import Context
from faults.flow import Flow, movie_sender, order_sender
from faults.result import Result
from faults.stack import FaultStack, wait_for

NAME = "db-terminate"
CLAIM = (
    "While orders and movie reads/writes flow, `pg_terminate_backend` kills every "
    "connection to this run's inventory and billing databases, repeatedly: inventory answers "
    "503 (never 500) and recovers by itself, billing acknowledges only what it committed, "
    "so every order answered 200 is stored exactly once and every movie answered 200 exists."
)


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    rng = ctx.random(NAME)
    rounds = ctx.scale(8, 4)
    stack = FaultStack.create(ctx.workdir / NAME).start()
    try:
        orders = Flow(order_sender(stack.gateway.url), total=20_000, rate=150).start()
        movies = Flow(movie_sender(stack.gateway.url), total=20_000, rate=60, workers=4).start()
        terminated = 0
        for _ in range(rounds):
            time.sleep(rng.uniform(0.5, 2.5))
            terminated += _terminate(stack, result, orders, movies)
        time.sleep(1.0)
        orders.stop()
        movies.stop()
        result.notes.append(f"{rounds} rounds terminated {terminated} backends in all")
        result.expect(terminated >= rounds, "some rounds found no backend to terminate")
        _check_movies(stack, result, movies)
        account_flow(result, stack, orders, all_taken=True)
    finally:
        stack.destroy()
    return result


def _terminate(stack: FaultStack, result: Result, orders: Flow, movies: Flow) -> int:
    before = stack.stored_count()
    killed = stack.terminate_backends()
    at = time.monotonic()
    # Recovered = a movie request and an order store both succeed again.
    inventory = wait_for(lambda: movies.first_success_after(at) is not None, timeout=30)
    billing = wait_for(lambda: stack.stored_count() > before, timeout=30)
    result.expect(inventory is not None, "inventory did not recover within 30 s")
    result.expect(billing is not None, "billing did not store again within 30 s")
    first = movies.first_success_after(at)
    result.figures.recovered(None if first is None else first - at)
    result.figures.recovered(billing)
    return killed


def _check_movies(stack: FaultStack, result: Result, movies: Flow) -> None:
    statuses = movies.statuses()
    unexpected = set(statuses) - {200, 503}
    result.expect(not unexpected, f"movie answers other than 200/503: {sorted(unexpected)}")
    created = {k for k in movies.keys_with(200) if k % 2}
    titles = stack.stack.inventory_db.query("SELECT title FROM movies")
    stored = {int(str(row[0]).removeprefix("movie-")) for row in titles}
    missing = created - stored
    result.expect(not missing, f"{len(missing)} movies answered 200 but not stored")
    by_status = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    result.notes.append(
        f"movies: {len(movies.answers)} requests ({by_status}), {len(created)} creations "
        f"answered 200, {len(stored)} rows; the table's figures are the orders'"
    )
