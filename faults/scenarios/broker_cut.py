"""RabbitMQ connections closed from the broker side under load, and the broker refusing
new ones for a while: the gateway says 503, never 500, and heals by itself."""

from __future__ import annotations

import time

import requests

from faults.accounting import account_flow
from faults.context import Context
from faults.flow import Flow, order_sender
from faults.result import Result
from faults.stack import FaultStack, wait_for

NAME = "broker-cut"
CLAIM = (
    "Under a flow of orders, `rabbitmqctl close_all_connections` (on this run's own vhost) "
    "closes every gateway and billing connection, and the vhost refuses new ones for 2 s: "
    "the gateway answers 503 while it cannot publish, recovers by itself, and every order "
    "answered 200 is stored exactly once."
)
OUTAGE_SECONDS = 2.0


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    rng = ctx.random(NAME)
    cuts = ctx.scale(5, 3)
    stack = FaultStack.create(ctx.workdir / NAME).start()
    try:
        # More orders than the cuts need: the flow is stopped once the last outage healed.
        flow = Flow(order_sender(stack.gateway.url), total=20_000, rate=150).start()
        for number in range(1, cuts + 1):
            time.sleep(rng.uniform(1.0, 3.0))
            _cut(stack, result, flow, number)
        time.sleep(1.0)
        flow.stop()
        account_flow(result, stack, flow, all_taken=False)
        statuses = flow.statuses()
        result.expect(statuses[503] > 0, "no order was refused: the outage proved nothing")
        unexpected = set(statuses) - {200, 503}
        result.expect(not unexpected, f"answers other than 200/503: {sorted(unexpected)}")
        slowest = flow.slowest(503)
        result.expect(slowest < 5.0, f"a 503 took {slowest:.2f} s: clients wait on a dead broker")
        result.notes.append(
            f"{cuts} outages of {OUTAGE_SECONDS:.0f} s; slowest 503 answered in {slowest:.2f} s; "
            "worst recovery: from the vhost taking connections again until billing and the "
            "gateway are ready and an order sent after it got 200"
        )
    finally:
        stack.destroy()
    return result


def _cut(stack: FaultStack, result: Result, flow: Flow, number: int) -> None:
    stack.vhost.deny()
    stack.vhost.close_connections(f"fault injection {number}")
    time.sleep(OUTAGE_SECONDS)
    stack.vhost.allow()
    restored = time.monotonic()
    # Recovered = the gateway takes orders again and billing consumes again, untouched.
    ready = wait_for(lambda: _ready(stack.billing.url) and _ready(stack.gateway.url), timeout=60)
    result.expect(ready is not None, f"not ready 60 s after outage {number}")
    accepted = wait_for(lambda: flow.first_success_after(restored) is not None, timeout=30)
    result.expect(accepted is not None, f"no order accepted 30 s after outage {number}")
    result.figures.recovered(None if ready is None else ready)
    first = flow.first_success_after(restored)
    if first is not None:
        result.figures.recovered(first - restored)


def _ready(url: str) -> bool:
    return requests.get(f"{url}/readyz", timeout=5).status_code == 200
