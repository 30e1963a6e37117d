"""Log lines a service wrote while a load ran, per request it served: what a log pipeline
pays. Both counts are the server's own, so the requests still in flight when wrk stops (512
of them at 512 connections) count on both sides, not only in the log."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import requests

from tests.harness.process import ServiceProcess

SETTLE_SECONDS = 0.3
MOST_SECONDS = 10.0


def _lines(service: ServiceProcess) -> int:
    with service.log_path.open("rb") as log:
        return sum(1 for _ in log)


def served(service: ServiceProcess) -> int:
    """Requests the service has answered, from its own http_requests_total (scraped on its
    metrics port, where scrapes are not counted)."""
    text = requests.get(service.metrics_url, timeout=10).text
    return round(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("http_requests_total{")
        )
    )


def _settled(service: ServiceProcess) -> int:
    """served() once it stops growing: the answers in flight when the load ended are done."""
    deadline = time.monotonic() + MOST_SECONDS
    count = served(service)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_SECONDS)
        now = served(service)
        if now == count:
            break
        count = now
    return count


@contextmanager
def counting(services: Sequence[ServiceProcess]) -> Iterator[dict[str, dict[str, int]]]:
    """Yields a dict that holds, once the block is over, the lines each service wrote and the
    requests it served in it."""
    before = {}
    for s in services:
        settled = _settled(s)  # first: answers still in flight log their lines meanwhile
        before[s.name] = (_lines(s), settled)
    written: dict[str, dict[str, int]] = {}
    yield written
    for s in services:
        requests_served = _settled(s) - before[s.name][1]
        lines = _lines(s) - before[s.name][0]
        written[s.name] = {"lines": lines, "requests": requests_served}
