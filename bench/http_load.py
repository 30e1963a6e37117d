"""The HTTP cases: movie reads through the gateway and straight to inventory, and orders."""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests

from bench.wrk import Body, LoadResult, run_wrk

MOVIES = 100
CONNECTIONS = 32
WARMUP_SECONDS = 2
ORDER = Body(json.dumps({"user_id": 42, "number_of_items": 2, "total_amount": "20"}))


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    body: Body | None = None


def seed_movies(inventory_url: str) -> tuple[Case, Case]:
    """Stores MOVIES movies; returns the read cases for one of them and a title filter."""
    session = requests.Session()
    ids = []
    for n in range(MOVIES):
        answer = session.post(
            f"{inventory_url}/api/movies",
            json={"title": f"Bench movie {n:03d}", "description": "a movie " * 10},
            timeout=10,
        )
        answer.raise_for_status()
        ids.append(answer.json()["id"])
    # "movie 04" matches ten titles (040-049): a filtered list, not a single hit or all 100.
    by_id = Case("GET /api/movies/{id}", f"/api/movies/{ids[MOVIES // 2]}")
    return by_id, Case("GET /api/movies?title=", "/api/movies?title=movie%2004")


def order_case() -> Case:
    return Case("POST /api/billing", "/api/billing", ORDER)


def warm(base_url: str, case: Case) -> None:
    """Opens the services' pools and connections so that the measured run sees steady state."""
    run_wrk(base_url + case.path, connections=CONNECTIONS, seconds=WARMUP_SECONDS, body=case.body)


def measure(base_url: str, case: Case, seconds: int, connections: int | None = None) -> LoadResult:
    return run_wrk(
        base_url + case.path,
        connections=connections or CONNECTIONS,
        seconds=seconds,
        body=case.body,
    )
