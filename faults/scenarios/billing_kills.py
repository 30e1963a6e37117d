"""Billing SIGKILLed at random moments while orders flow in through the gateway."""

from __future__ import annotations

import time

from faults.accounting import account_flow
from faults.context import Context
from faults.flow import Flow, order_sender
from faults.result import Result
from faults.stack import FaultStack, wait_for

NAME = "billing-sigkill"
CLAIM = (
    "Billing is SIGKILLed at random moments (and restarted, as a supervisor would) while "
    "orders flow in: every order answered 200 is stored exactly once."
)


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    rng = ctx.random(NAME)
    kills = 5 if ctx.quick else 8
    stack = FaultStack.create(ctx.workdir / NAME).start()
    try:
        flow = Flow(order_sender(stack.gateway.url), total=5000, rate=200, workers=8).start()
        done = 0
        while done < kills and not flow.done:
            time.sleep(rng.uniform(0.5, 3.0))
            before = stack.stored_count()
            stack.billing.kill()
            killed_at = time.monotonic()
            stack.billing.start(wait_for="/healthz")
            done += 1
            # Recovered = a restarted consumer is storing orders again.
            took = wait_for(lambda b=before: stack.stored_count() > b, timeout=60)
            result.expect(took is not None, f"billing stored nothing for 60 s after kill {done}")
            result.figures.recovered(None if took is None else time.monotonic() - killed_at)
        flow.join()
        result.expect(done >= 5, f"only {done} kills landed while orders flowed")
        result.notes.append(f"{done} SIGKILLs, each followed by an immediate restart")
        account_flow(result, stack, flow, all_taken=True)
    finally:
        stack.destroy()
    return result
