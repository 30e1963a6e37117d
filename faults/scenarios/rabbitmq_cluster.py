"""A three-node RabbitMQ cluster behind one relay: its queue's leader killed, then a rolling
restart of another node, while orders flow in and two billing replicas drain them."""

from __future__ import annotations

import time
from dataclasses import dataclass

from faults.accounting import account_flow
from faults.context import Context
from faults.flow import Flow, order_sender
from faults.rabbit_cluster import Node, RabbitCluster
from faults.result import Result
from faults.service_relay import RelayedVhost, ServiceRelay
from faults.stack import FaultStack
from tests.harness.stack import Stack

NAME = "rabbitmq-cluster"
CLAIM = (
    "Three RabbitMQ nodes of Debian's rabbitmq-server, joined with `rabbitmqctl "
    "join_cluster`, behind one TCP relay standing for the Kubernetes Service; the gateway "
    "and two billing replicas reach them only through it. While orders flow in, the node "
    "that leads `billing_queue` is killed with SIGKILL and started again, then another node "
    "is stopped and started (a rolling restart): every order answered 200 is stored exactly "
    "once, nothing is answered but 200 or 503, and the run reports the longest time without "
    "a 200."
)
SETTLE_SECONDS = 3.0  # orders flowing before the first fault, and after the last


@dataclass
class Window:
    """Seconds without any 200 around a fault: from the last 200 before it to the first
    one after it."""

    label: str
    at: float

    def measure(self, flow: Flow) -> float | None:
        times = flow.times_of(200)
        before = [t for t in times if t <= self.at]
        after = [t for t in times if t > self.at]
        if not after:
            return None
        return after[0] - (before[-1] if before else self.at)


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    cluster = RabbitCluster.create()
    relay: ServiceRelay | None = None
    stack: FaultStack | None = None
    try:
        started = time.monotonic()
        cluster.start()
        result.notes.append(f"cluster of 3 nodes formed in {time.monotonic() - started:.0f} s")
        relay = ServiceRelay([("127.0.0.1", n.amqp_port) for n in cluster.nodes])
        relay.start()
        stack = _stack(ctx, relay)
        _faults(ctx, result, cluster, stack)
    finally:
        if stack is not None:
            stack.destroy()
        if relay is not None:
            relay.cut()
        cluster.destroy()
    return result


def _stack(ctx: Context, relay: ServiceRelay) -> FaultStack:
    workdir = ctx.workdir / NAME
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        "RABBITMQ_HOST": "127.0.0.1",
        "RABBITMQ_PORT": str(relay.port),
        "RABBITMQ_USER": "guest",
        "RABBITMQ_PASSWORD": "guest",
        "RABBITMQ_VHOST": "/",
        "BILLING_BACKOFF_MAX_SECONDS": "2.0",
    }
    return FaultStack(Stack.create(workdir, **env), RelayedVhost("/", port=relay.port)).start()


def _faults(ctx: Context, result: Result, cluster: RabbitCluster, stack: FaultStack) -> None:
    second_billing = stack.extra_billing("billing-2").start(wait_for="/readyz")
    flow = Flow(order_sender(stack.gateway.url), total=20_000, rate=ctx.scale(150, 100))
    windows: list[Window] = []
    try:
        flow.start()
        time.sleep(SETTLE_SECONDS)
        leader = cluster.leader(stack.queue)
        windows.append(Window(f"leader {leader.name} killed", time.monotonic()))
        cluster.kill(leader)
        _back(cluster, leader, result, "the killed leader")
        other = _another(cluster, leader, stack.queue)
        windows.append(Window(f"{other.name} restarted", time.monotonic()))
        cluster.stop(other)
        _back(cluster, other, result, "the restarted node")
        time.sleep(SETTLE_SECONDS)
    finally:
        flow.stop()
        second_billing.stop()
    account_flow(result, stack, flow, all_taken=False)
    _judge(result, flow, windows)
    retried = stack.gateway.logs().count("retrying on a new connection")
    reconnects = sum(
        p.logs().count("consumer interrupted") for p in (stack.billing, second_billing)
    )
    result.notes.append(
        f"publishes retried by the gateway on a new connection: {retried}; "
        f"billing reconnects (both replicas): {reconnects}"
    )


def _back(cluster: RabbitCluster, node: Node, result: Result, what: str) -> None:
    down = time.monotonic()
    cluster.boot(node)
    cluster.wait_members(len(cluster.nodes), asking=node)
    result.notes.append(
        f"{what} ({node.name}) was back in the cluster {time.monotonic() - down:.0f} s later"
    )


def _another(cluster: RabbitCluster, killed: Node, queue: str) -> Node:
    """The queue's leader now, if that is not the node just killed: the harder restart."""
    leader = cluster.leader(queue)
    return leader if leader is not killed else next(n for n in cluster.nodes if n is not killed)


def _judge(result: Result, flow: Flow, windows: list[Window]) -> None:
    statuses = flow.statuses()
    unexpected = set(statuses) - {200, 503}
    result.expect(not unexpected, f"answers other than 200/503: {sorted(unexpected)}")
    result.expect(statuses[200] > 0, "no order was taken at all")
    for window in windows:
        seconds = window.measure(flow)
        result.expect(seconds is not None, f"no 200 after {window.label}")
        result.figures.recovered(seconds)
        shown = "never" if seconds is None else f"{seconds:.2f} s"
        result.notes.append(f"without a 200 around '{window.label}': {shown}")
    result.notes.append("worst recovery: the longest of those windows without a 200")
