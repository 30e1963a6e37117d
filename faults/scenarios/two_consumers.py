"""Two billing replicas on one queue and one database: the active one SIGKILLed mid-flow."""

from __future__ import annotations

import time

from faults.accounting import account_flow
from faults.context import Context
from faults.flow import Flow, order_sender
from faults.result import Result
from faults.stack import FaultStack, wait_for
from tests.harness.process import ServiceProcess

NAME = "two-consumers"
CLAIM = (
    "Two billing processes subscribe to the same queue (a single active consumer: one "
    "stores, the other stands by) while orders flow; the active one is SIGKILLed with "
    "unacknowledged messages, which the broker then hands to the standby, and restarted: "
    "no order is stored twice, none is lost, and the run reports the takeover time."
)


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    rng = ctx.random(NAME)
    # Small batches so that the active consumer always holds unacknowledged messages.
    stack = FaultStack.create(
        ctx.workdir / NAME, BILLING_BATCH_SIZE="25", BILLING_PREFETCH="50"
    ).start()
    # Subscribed second, so it stands by: the queue's first consumer is the active one.
    standby = stack.extra_billing("billing-2").start(wait_for="/readyz")
    active = stack.billing
    takeovers: list[float] = []
    try:
        flow = Flow(order_sender(stack.gateway.url), total=ctx.scale(5000, 3000), rate=300)
        flow.start()
        kills = ctx.scale(4, 2)
        for _ in range(kills):
            time.sleep(rng.uniform(1.0, 3.0))
            takeovers.append(_kill_active(stack, result, active))
            active, standby = standby, active
        flow.join()
        shown = ", ".join(f"{t:.2f} s" for t in takeovers)
        result.notes.append(f"{kills} SIGKILLs of the active consumer, each restarted")
        result.notes.append(
            f"takeover (from the SIGKILL until the standby stored an order): {shown}"
        )
        result.notes.append("worst recovery: the longest takeover")
        account_flow(result, stack, flow, all_taken=True)
    finally:
        standby.stop()
        active.stop()
        stack.destroy()
    return result


def _kill_active(stack: FaultStack, result: Result, active: ServiceProcess) -> float:
    before = stack.stored_count()
    active.kill()
    killed = time.monotonic()
    took = wait_for(lambda: stack.stored_count() > before, timeout=30)
    result.expect(took is not None, "the standby stored nothing for 30 s after the kill")
    seconds = time.monotonic() - killed if took is None else took
    result.figures.recovered(seconds)
    active.start(wait_for="/readyz")  # back, now as the standby
    return seconds
