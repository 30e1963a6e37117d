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
    "orders flow in, and also stopped twice with SIGTERM, which must exit 0 within its "
    "drain time: every order answered 200 is stored exactly once."
)
TERM_BOUND_SECONDS = 10.0


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    rng = ctx.random(NAME)
    kills = 5 if ctx.quick else 8
    plan = ["SIGKILL"] * kills + ["SIGTERM"] * 2
    rng.shuffle(plan)
    stack = FaultStack.create(ctx.workdir / NAME).start()
    try:
        flow = Flow(order_sender(stack.gateway.url), total=5000, rate=125, workers=8).start()
        done: list[str] = []
        for signal_name in plan:
            if flow.done:
                break
            time.sleep(rng.uniform(0.5, 3.0))
            _interrupt(stack, result, signal_name)
            done.append(signal_name)
        flow.join()
        landed = done.count("SIGKILL")
        result.expect(landed >= 5, f"only {landed} kills landed while orders flowed")
        result.notes.append(
            f"{landed} SIGKILLs and {done.count('SIGTERM')} SIGTERMs in the order "
            f"{' '.join(done)}, each followed by an immediate restart; worst recovery: from "
            "the signal until the restarted billing stored an order"
        )
        account_flow(result, stack, flow, all_taken=True)
    finally:
        stack.destroy()
    return result


def _interrupt(stack: FaultStack, result: Result, signal_name: str) -> None:
    before = stack.stored_count()
    started = time.monotonic()
    if signal_name == "SIGKILL":
        stack.billing.kill()
    else:
        code = stack.billing.stop(timeout=30)
        took = time.monotonic() - started
        result.expect(code == 0, f"billing exited {code} on SIGTERM")
        result.expect(took <= TERM_BOUND_SECONDS, f"billing took {took:.1f} s to stop")
    stack.billing.start(wait_for="/healthz")
    # Recovered = the restarted consumer is storing orders again.
    took = wait_for(lambda: stack.stored_count() > before, timeout=60)
    result.expect(took is not None, f"billing stored nothing for 60 s after a {signal_name}")
    result.figures.recovered(None if took is None else time.monotonic() - started)
