"""Two billing consumers on one queue and one database, one of them SIGKILLed mid-flow."""

from __future__ import annotations

import time

from faults.accounting import account_flow
from faults.context import Context
from faults.flow import Flow, order_sender
from faults.result import Result
from faults.stack import FaultStack

NAME = "two-consumers"
CLAIM = (
    "Two billing processes consume the same queue into the same table while orders flow; "
    "one is SIGKILLed with unacknowledged messages (which the broker then hands to the "
    "other) and restarted: no order is stored twice, none is lost."
)


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    rng = ctx.random(NAME)
    # Small batches so that both consumers hold messages at the same time.
    stack = FaultStack.create(
        ctx.workdir / NAME, BILLING_BATCH_SIZE="25", BILLING_PREFETCH="50"
    ).start()
    second = stack.extra_billing("billing-2").start(wait_for="/readyz")
    try:
        flow = Flow(order_sender(stack.gateway.url), total=ctx.scale(5000, 3000), rate=300)
        flow.start()
        kills = ctx.scale(4, 2)
        for _ in range(kills):
            time.sleep(rng.uniform(1.0, 3.0))
            victim = rng.choice((stack.billing, second))
            victim.kill()
            killed_at = time.monotonic()
            victim.start(wait_for="/readyz")
            result.figures.recovered(time.monotonic() - killed_at)
        flow.join()
        result.notes.append(f"{kills} SIGKILLs of one consumer or the other, each restarted")
        result.notes.append("worst recovery: from a kill until the restarted consumer is ready")
        account_flow(result, stack, flow, all_taken=True)
    finally:
        second.stop()
        stack.destroy()
    return result
