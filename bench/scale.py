"""Scale curves: the movie list at growing sizes, and GET by id at growing connection counts,
both through the gateway as a client sees them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from bench import cpu, logs
from bench.memory import PeakRss
from bench.wrk import BenchError, run_wrk
from tests.harness.stack import Stack

LIST_SIZES = (100, 1_000, 10_000, 100_000)
# Connections and seconds per size. 32 clients each pulling 12 MB at once would only measure
# wrk's timeout: the largest list is loaded by fewer for longer, and its whole answer is also
# read once and checked movie by movie.
LIST_LOAD = {100: (32, 3), 1_000: (32, 3), 10_000: (32, 4), 100_000: (2, 8)}
LIST_TIMEOUT = 60
CONNECTION_COUNTS = (1, 8, 32, 128, 512)
CONNECTION_SECONDS = 3


@dataclass(frozen=True)
class ListPoint:
    movies: int
    connections: int
    figures: dict[str, Any]


def list_curve(stack: Stack) -> dict[str, Any]:
    """Grows the movies table to each size and loads GET /api/movies through the gateway.
    Leaves LIST_SIZES[-1] movies stored."""
    pids = {"gateway": stack.gateway.pid, "inventory": stack.inventory.pid}
    points = []
    for size in LIST_SIZES:
        grow_to(stack, size)
        points.append(_list_point(stack, size, pids))
    return {
        "points": [{"movies": p.movies, "connections": p.connections, **p.figures} for p in points],
        "whole_list": _whole_list(stack, LIST_SIZES[-1]),
    }


def grow_to(stack: Stack, size: int) -> None:
    stored = int(str(stack.inventory_db.scalar("SELECT count(*) FROM movies")))
    if stored > size:
        raise BenchError(f"{stored} movies stored already, more than the {size} wanted")
    stack.inventory_db.query(
        "INSERT INTO movies (title, description) "
        "SELECT 'Scale movie ' || g, repeat('a movie ', 8) FROM generate_series(1, :n) g",
        n=size - stored,
    )
    stack.inventory_db.query("ANALYZE movies")


def _list_point(stack: Stack, size: int, pids: dict[str, int]) -> ListPoint:
    connections, seconds = LIST_LOAD[size]
    url = stack.gateway.url + "/api/movies"
    peaks = PeakRss()
    run_wrk(url, connections=connections, seconds=1, timeout=LIST_TIMEOUT)  # warm-up
    with peaks.sampling([stack.gateway, stack.inventory]):
        before = cpu.snapshot(pids, ("postgres",))
        load = run_wrk(url, connections=connections, seconds=seconds, timeout=LIST_TIMEOUT)
        used = cpu.spent(before, cpu.snapshot(pids, ("postgres",)))
    return ListPoint(
        size,
        connections,
        {
            **load.as_dict(),
            "cpu_ms_per_request": {
                name: round(seconds * 1000 / load.requests, 2) if load.requests else None
                for name, seconds in used.items()
            },
            "peak_rss_mib": peaks.peaks,
        },
    )


def _whole_list(stack: Stack, size: int) -> dict[str, Any]:
    """One client reads the whole list through the gateway: status, count, order, time."""
    peaks = PeakRss()
    pids = {"gateway": stack.gateway.pid, "inventory": stack.inventory.pid}
    with peaks.sampling([stack.gateway, stack.inventory]):
        before = cpu.snapshot(pids, ("postgres",))
        started = time.perf_counter()
        answer = requests.get(stack.gateway.url + "/api/movies", timeout=LIST_TIMEOUT)
        seconds = time.perf_counter() - started  # the whole body: requests reads it eagerly
        used = cpu.spent(before, cpu.snapshot(pids, ("postgres",)))
    movies = answer.json() if answer.status_code == 200 else []
    ids = [m["id"] for m in movies]
    return {
        "movies": size,
        "status": answer.status_code,
        "received": len(movies),
        "in_id_order": ids == sorted(set(ids)),
        "seconds": round(seconds, 3),
        "bytes": len(answer.content),
        "cpu_ms": {name: round(s * 1000, 1) for name, s in used.items()},
        "peak_rss_mib": peaks.peaks,
    }


def connection_curve(stack: Stack, path: str) -> list[dict[str, Any]]:
    """GET `path` through the gateway at each connection count in turn, with the log lines
    each service wrote per request served."""
    url = stack.gateway.url + path
    pids = {"gateway": stack.gateway.pid, "inventory": stack.inventory.pid}
    points = []
    for connections in CONNECTION_COUNTS:
        run_wrk(url, connections=connections, seconds=1)
        before = cpu.snapshot(pids, ("postgres",))
        with logs.counting([stack.gateway, stack.inventory]) as lines:
            load = run_wrk(url, connections=connections, seconds=CONNECTION_SECONDS, timeout=10)
        used = cpu.spent(before, cpu.snapshot(pids, ("postgres",)))
        points.append(
            {
                "connections": connections,
                **load.as_dict(),
                "cpu_us_per_request": cpu.per_unit_us(used, load.requests),
                "log_lines": lines,
                "log_lines_per_request": {
                    name: round(n["lines"] / n["requests"], 3) if n["requests"] else None
                    for name, n in lines.items()
                },
            }
        )
    return points
