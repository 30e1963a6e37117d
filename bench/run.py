"""One bench run: the services under load, the billing drain, then the machine's ceilings."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import broker_load, pg_ceiling
from bench.drain import drain
from bench.http_load import CONNECTIONS, Case, measure, order_case, seed_movies, warm
from bench.memory import PeakRss, rss_now
from bench.wrk import BenchError, LoadResult, require_wrk
from tests.support.backends import check_reachable
from tests.support.stack import Stack

IDLE_SETTLE_SECONDS = 2
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
            results.update(_service_phases(stack, seconds))
        finally:
            stack.destroy()
    results["ceilings"] = _ceilings()
    results["meta"]["wall_seconds"] = round(time.monotonic() - started, 1)
    return results


def _service_phases(stack: Stack, seconds: int) -> dict[str, Any]:
    by_id, by_title = seed_movies(stack.inventory.url)
    services = [stack.gateway, stack.inventory, stack.billing]
    time.sleep(IDLE_SETTLE_SECONDS)
    idle = rss_now(services)
    peaks = PeakRss()
    # Billing is stopped from here on: its queue fills with the POSTed orders, which are then
    # replaced by an exact backlog for the drain.
    stack.billing.stop()
    http = {case.name: _compare(stack, case, seconds, peaks) for case in (by_id, by_title)}
    http[order_case().name] = _orders(stack, seconds, peaks)
    broker_load.purge_queue(stack.queue.name)
    return {
        "http": http,
        "drain": drain(stack, peaks).as_dict(),
        "rss_mib": {"idle": idle, "under_load": peaks.peaks},
    }


def _compare(stack: Stack, case: Case, seconds: int, peaks: PeakRss) -> dict[str, Any]:
    with peaks.sampling([stack.gateway, stack.inventory]):
        warm(stack.inventory.url, case)
        direct = measure(stack.inventory.url, case, seconds)
        warm(stack.gateway.url, case)
        proxied = measure(stack.gateway.url, case, seconds)
    return {
        "gateway": proxied.as_dict(),
        "inventory": direct.as_dict(),
        "ratio": round(proxied.rps / direct.rps, 3) if direct.rps else 0.0,
    }


def _orders(stack: Stack, seconds: int, peaks: PeakRss) -> dict[str, Any]:
    case = order_case()
    with peaks.sampling([stack.gateway]):
        warm(stack.gateway.url, case)
        broker_load.purge_queue(stack.queue.name)
        result: LoadResult = measure(stack.gateway.url, case, seconds)
    # Every 200 was confirmed by the broker, so each counted request must be in the queue
    # (a few more may be: wrk does not count the answers still in flight when it stops).
    queued = stack.queue.depth()
    if queued < result.requests - result.errors:
        raise BenchError(f"{result.requests} orders answered 200 but only {queued} are queued")
    return {"gateway": {**result.as_dict(), "queued": queued}}


def _ceilings() -> dict[str, Any]:
    return {
        "postgres": pg_ceiling.measure(CEILING_SECONDS),
        "rabbitmq": broker_load.measure_ceilings(CEILING_SECONDS),
    }


def _meta(seconds: int) -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "seconds_per_load": seconds,
        "connections": CONNECTIONS,
    }
