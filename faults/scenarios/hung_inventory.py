"""Inventory that hangs or trickles: the gateway answers 504 in time and keeps its threads."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from faults.context import Context
from faults.flow import order_body
from faults.relays import FreezableRelay, Trickler
from faults.result import Result, account_orders
from faults.stack import FaultStack, wait_for

NAME = "hung-inventory"
CLAIM = (
    "Inventory stops answering (a relay in front of the real one freezes) or answers one "
    "byte every 0.25 s: every movie request gets 504 within the gateway's 1 s timeout "
    "(plus queueing when more requests than threads arrive), orders and /healthz are still "
    "served during the storm, and once inventory answers again so does the gateway."
)
TIMEOUT = 1.0
THREADS = 16
# Each wave of THREADS requests may take a little over the timeout to be answered (process
# and scheduling overhead on a busy 2-core machine); a held thread takes many times more.
PER_WAVE_SLACK = 0.25
SLACK = 0.5


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    stack = FaultStack.create(
        ctx.workdir / NAME,
        INVENTORY_TIMEOUT_SECONDS=str(TIMEOUT),
        INVENTORY_CONNECT_TIMEOUT_SECONDS=str(TIMEOUT),
        THREADS=str(THREADS),
    )
    relay = FreezableRelay(("127.0.0.1", stack.inventory.port)).start()
    trickler = Trickler()
    stack.gateway.env["INVENTORY_URL"] = f"http://127.0.0.1:{relay.port}"
    stack.start()
    slow = stack.extra_gateway("gateway-trickled", trickler.url).start(wait_for="/readyz")
    try:
        relay.freeze()
        taken = _storm(stack.gateway.url, result, "frozen inventory", waves=ctx.scale(4, 2))
        relay.thaw()
        thawed = time.monotonic()
        back = wait_for(lambda: _movies(stack.gateway.url) == 200, timeout=30)
        result.expect(back is not None, "the gateway did not serve movies again after the thaw")
        result.figures.recovered(None if back is None else time.monotonic() - thawed)
        taken |= _storm(slow.url, result, "trickling inventory", waves=ctx.scale(2, 1), key=2)
        # The orders sent during the storms went through a gateway with all threads busy.
        stack.settle()
        account_orders(result, sent=0, acknowledged=taken, stored_user_ids=stack.stored_user_ids())
    finally:
        slow.stop()
        relay.cut()
        trickler.close()
        stack.destroy()
    return result


def _storm(url: str, result: Result, what: str, *, waves: int, key: int = 1) -> set[int]:
    """Returns the order taken alongside the storm (its user id), if it was."""
    """`waves` x THREADS movie requests at once, with orders and /healthz sent alongside."""
    count = waves * THREADS
    with ThreadPoolExecutor(count + 2) as pool:
        movies = [pool.submit(_timed, _movies, url) for _ in range(count)]
        time.sleep(0.2)  # let the storm take every thread first
        health = pool.submit(_timed, _health, url)
        order = pool.submit(_timed, _order, url, key)
        answers = [f.result() for f in movies]
        health_status, health_s = health.result()
        order_status, order_s = order.result()
    statuses = [status for status, _ in answers]
    worst = max(seconds for _, seconds in answers)
    bound = waves * (TIMEOUT + PER_WAVE_SLACK) + SLACK
    result.count_statuses(Counter(statuses))
    result.figures.sent += count + 1
    result.expect(all(s == 504 for s in statuses), f"{what}: not all 504: {sorted(set(statuses))}")
    result.expect(worst <= bound, f"{what}: slowest 504 took {worst:.2f} s (bound {bound:.2f} s)")
    result.expect(health_status == 200 and health_s <= bound, f"{what}: /healthz starved")
    result.expect(order_status == 200 and order_s <= bound, f"{what}: order not taken in time")
    result.notes.append(
        f"{what}: {count} requests on {THREADS} threads, slowest 504 after {worst:.2f} s "
        f"(bound {bound:.2f} s); /healthz {health_status} in {health_s:.2f} s, "
        f"an order {order_status} in {order_s:.2f} s"
    )
    return {key} if order_status == 200 else set()


def _timed(call, *args: object) -> tuple[int, float]:
    started = time.monotonic()
    try:
        status = call(*args)
    except requests.RequestException:
        status = 0
    return status, time.monotonic() - started


def _movies(url: str) -> int:
    return requests.get(f"{url}/api/movies", timeout=30).status_code


def _health(url: str) -> int:
    return requests.get(f"{url}/healthz", timeout=30).status_code


def _order(url: str, user_id: int) -> int:
    return requests.post(f"{url}/api/billing", json=order_body(user_id), timeout=30).status_code
