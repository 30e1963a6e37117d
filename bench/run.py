"""One bench run: the services under load, the billing drain, then the machine's ceilings."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import broker_load, noop, pg_ceiling, scale, stall
from bench.drain import drain
from bench.http_load import CONNECTIONS, Case, order_case, seed_movies
from bench.memory import PeakRss, rss_now
from bench.side import Side
from bench.sweep import sweep
from bench.wrk import BenchError, LoadResult, require_wrk
from tests.harness.backends import check_reachable
from tests.harness.process import ServiceProcess, free_port
from tests.harness.stack import Stack

IDLE_SETTLE_SECONDS = 2
ROUNDS = 5
CEILING_SECONDS = 4


def run(seconds: int) -> dict[str, Any]:
    """Returns every figure of the run as plain data (what latest.json holds)."""
    require_wrk()
    problem = check_reachable()
    if problem:
        raise BenchError(problem)
    started = time.monotonic()
    results: dict[str, Any] = {"meta": _meta(seconds)}
    with tempfile.TemporaryDirectory(prefix="movies-bench-") as workdir:
        stack = Stack.create(Path(workdir)).start()
        try:
            cases = seed_movies(stack.inventory.url)
            results["sweep"] = sweep(stack, cases[0], Path(workdir))
            best = results["sweep"]["noop_best_threads"]
            with noop.running(free_port(), Path(workdir) / "noop.log", best) as ceiling:
                results.update(_service_phases(stack, cases, ceiling, seconds))
        finally:
            stack.destroy()
    results["ceilings"] = _ceilings()
    results["meta"]["wall_seconds"] = round(time.monotonic() - started, 1)
    results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def _service_phases(
    stack: Stack, cases: tuple[Case, Case], ceiling: noop.NoopProcess, seconds: int
) -> dict[str, Any]:
    by_id, by_title = cases
    services = [stack.gateway, stack.inventory, stack.billing]
    time.sleep(IDLE_SETTLE_SECONDS)
    idle = rss_now(services)
    peaks = PeakRss()
    # Billing is stopped from here on: its queue fills with the POSTed orders, which are then
    # replaced by an exact backlog for the drain.
    stack.billing.stop()
    direct = _direct_inventory(stack)
    try:
        http = {
            c.name: _compare(stack, direct, ceiling, c, seconds, peaks) for c in (by_id, by_title)
        }
    finally:
        direct.stop()
    http[order_case().name] = _orders(stack, ceiling, seconds, peaks)
    broker_load.purge_when_settled(stack.queue.name)
    drained = drain(stack, peaks).as_dict()
    connections = scale.connection_curve(stack, by_id.path)
    counted = {
        name: {k: sum(p["log_lines"][name][k] for p in connections) for k in ("lines", "requests")}
        for name in ("gateway", "inventory")
    }
    return {
        "http": http,
        "drain": drained,
        "rss_mib": {"idle": idle, "under_load": peaks.peaks},
        "connections": connections,
        "log_lines_per_request": {
            name: round(n["lines"] / n["requests"], 3) for name, n in counted.items()
        },
        "list": scale.list_curve(stack),
        # After the list curve: the largest list is stored by then.
        "stall": stall.while_listing(stack, by_id, scale.LIST_SIZES[-1]),
    }


def _direct_inventory(stack: Stack) -> ServiceProcess:
    """A second inventory on the same database, for the requests straight to inventory.

    The gateway keeps its keep-alive connections to its inventory open between rounds, and
    idle connections cost waitress CPU on every wake-up of its loop, so an inventory the
    gateway has used serves fewer requests straight from wrk than a fresh one. A twin that
    only wrk talks to keeps the comparison honest."""
    twin = ServiceProcess("inventory", dict(stack.inventory.env), stack.workdir / "direct.log")
    return twin.start(wait_for="/readyz")


def _compare(
    stack: Stack,
    direct: ServiceProcess,
    ceiling: noop.NoopProcess,
    case: Case,
    seconds: int,
    peaks: PeakRss,
) -> dict[str, Any]:
    """Gateway, inventory and the no-op ceiling in alternating rounds, so that a burst of load
    from elsewhere on the machine hits every side of a ratio rather than one."""
    per_round = _per_round(seconds)
    sides = {
        "inventory": Side(direct.url, {"inventory": direct.pid}),
        "gateway": Side(
            stack.gateway.url, {"gateway": stack.gateway.pid, "inventory": stack.inventory.pid}
        ),
        "noop": Side(ceiling.url, {"noop": ceiling.pid}, servers=(), path=noop.PATH),
    }
    with peaks.sampling([stack.gateway, stack.inventory, direct]):
        for side in sides.values():
            side.warm(case)
        for _ in range(ROUNDS):
            for side in sides.values():
                side.run(case, per_round)
    summaries = {name: side.summary() for name, side in sides.items()}
    path_cpu = {name: sum(s["cpu_us_per_request"].values()) for name, s in summaries.items()}
    ratios = _ratios(sides["gateway"], sides["inventory"])
    return {
        **summaries,
        "of_noop": _of(sides, "noop"),
        "ratio": round(statistics.median(ratios), 3),
        "ratio_by_round": [round(r, 3) for r in ratios],
        # How much more CPU a request costs through the gateway: what the ratio would be
        # bound by on a machine with nothing else running, whatever else runs now.
        "path_cpu_ratio": round(path_cpu["gateway"] / path_cpu["inventory"], 2),
    }


def _of(sides: dict[str, Side], ceiling: str) -> dict[str, float]:
    return {
        name: round(statistics.median(_ratios(sides[name], sides[ceiling])), 3)
        for name in ("inventory", "gateway")
    }


def _ratios(side: Side, reference: Side) -> list[float]:
    """Round by round: each ratio compares loads run seconds apart."""
    pairs = zip(side.rounds, reference.rounds, strict=True)
    return [mine.rps / theirs.rps for mine, theirs in pairs if theirs.rps]


def _orders(
    stack: Stack, ceiling: noop.NoopProcess, seconds: int, peaks: PeakRss
) -> dict[str, Any]:
    case = order_case()
    gateway = Side(stack.gateway.url, {"gateway": stack.gateway.pid}, ("rabbitmq",))
    # The ceiling right before and right after: the orders load sits between its two halves.
    ceiling_side = Side(ceiling.url, {"noop": ceiling.pid}, servers=(), path=noop.PATH)
    with peaks.sampling([stack.gateway]):
        gateway.warm(case)
        broker_load.purge_when_settled(stack.queue.name)
        ceiling_side.run(case, max(1, seconds // 2))
        gateway.run(case, seconds)
        ceiling_side.run(case, max(1, seconds // 2))
    result = gateway.rounds[0]
    # Every 200 was confirmed by the broker, so each counted request must be in the queue
    # (a few more may be: wrk does not count the answers still in flight when it stops).
    queued = stack.queue.depth()
    if queued < result.requests - result.errors:
        raise BenchError(f"{result.requests} orders answered 200 but only {queued} are queued")
    noop_rps = LoadResult.combine(ceiling_side.rounds).rps
    return {
        "gateway": {**gateway.summary(), "queued": queued},
        "noop": ceiling_side.summary(),
        "of_noop": {"gateway": round(result.rps / noop_rps, 3)},
    }


def _ceilings() -> dict[str, Any]:
    return {
        "postgres": pg_ceiling.measure(CEILING_SECONDS),
        "rabbitmq": broker_load.measure_ceilings(CEILING_SECONDS),
    }


def _per_round(seconds: int) -> int:
    return max(1, round(seconds / ROUNDS))


def _meta(seconds: int) -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "seconds_per_load": seconds,
        "connections": CONNECTIONS,
        "rounds": ROUNDS,
        "seconds_per_round": _per_round(seconds),
    }
