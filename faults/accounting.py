"""Settling a scenario's order flow and counting it against the billing table."""

from __future__ import annotations

from faults.flow import Flow
from faults.result import Result, account_orders
from faults.stack import FaultStack


def account_flow(result: Result, stack: FaultStack, flow: Flow, *, all_taken: bool) -> None:
    """Waits for billing to drain, then fills in the figures and checks the promises.

    `all_taken`: the fault never touched order intake, so every order must get a 200.
    """
    stack.settle()
    statuses = flow.statuses()
    result.count_statuses(statuses)
    if all_taken:
        result.expect(statuses[200] == len(flow.answers), "the gateway refused orders")
    account_orders(
        result,
        sent=len(flow.answers),
        acknowledged=flow.keys_with(200),
        stored_user_ids=stack.stored_user_ids(),
    )
    result.figures.dead_lettered = stack.dead_lettered()
