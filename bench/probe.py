"""`python -m bench.probe`: the short, fixed loads that bench.compare runs against each version
of the services; prints one JSON line. Runs from the tree whose services it measures."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from bench import cpu, logs, noop, scale
from bench.http_load import seed_movies
from bench.memory import PeakRss
from bench.wrk import run_wrk
from tests.harness.process import ServiceProcess, free_port
from tests.harness.stack import Stack

CONNECTIONS = 32
SECONDS = 4
LIST_MOVIES = 10_000
MARKER = "PROBE "


def _load(
    url: str, pids: dict[str, int], servers: tuple[str, ...], logged: ServiceProcess | None = None
) -> dict[str, Any]:
    """After a 1 s warm-up: req/s, p99, CPU per request and, for `logged`, log lines per
    request."""
    run_wrk(url, connections=CONNECTIONS, seconds=1, timeout=60)
    before = cpu.snapshot(pids, servers)
    with logs.counting([logged] if logged else []) as lines:
        load = run_wrk(url, connections=CONNECTIONS, seconds=SECONDS, timeout=60)
    used = cpu.spent(before, cpu.snapshot(pids, servers))
    figures: dict[str, Any] = {
        "rps": round(load.rps, 1),
        "p99_ms": load.p99_ms,
        "errors": load.errors,
        "cpu_us_per_request": cpu.per_unit_us(used, load.requests),
    }
    if logged is not None and lines[logged.name]["requests"]:
        counted = lines[logged.name]
        figures["log_lines_per_request"] = round(counted["lines"] / counted["requests"], 3)
    return figures


def _reads(stack: Stack, ceiling: noop.NoopProcess) -> dict[str, Any]:
    by_id, _ = seed_movies(stack.inventory.url)
    inventory, gateway = stack.inventory, stack.gateway
    figures = {
        "noop": _load(ceiling.url + noop.PATH, {"noop": ceiling.pid}, ()),
        "inventory": _load(inventory.url + by_id.path, {"inventory": inventory.pid}, ("postgres",)),
    }
    figures["gateway"] = _load(
        gateway.url + by_id.path,
        {"gateway": gateway.pid, "inventory": inventory.pid},
        ("postgres",),
        logged=gateway,
    )
    return figures


def _list(stack: Stack) -> dict[str, Any]:
    scale.grow_to(stack, LIST_MOVIES)
    peaks = PeakRss()
    pids = {"gateway": stack.gateway.pid, "inventory": stack.inventory.pid}
    with peaks.sampling([stack.gateway, stack.inventory]):
        figures = _load(stack.gateway.url + "/api/movies", pids, ("postgres",))
    return {**figures, "peak_rss_mib": peaks.peaks}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="movies-probe-") as workdir:
        stack = Stack.create(Path(workdir)).start()
        try:
            with noop.running(free_port(), Path(workdir) / "noop.log") as ceiling:
                figures = _reads(stack, ceiling)
            figures["list"] = _list(stack)
        finally:
            stack.destroy()
    print(MARKER + json.dumps(figures))


if __name__ == "__main__":
    main()
