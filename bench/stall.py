"""A slow request must not stall the others: GET by id through the gateway while clients read
the whole movie list through it, over and over, against the same load with no list running.

The reads run below saturation (STALL_CONNECTIONS, not the bench's 32): at 32 connections the
queue wrk itself builds sets the p99 (32 in flight at ~1,000 req/s is 32 ms each on average),
whereas here a p99 above the quiet one is time spent behind the list."""

from __future__ import annotations

import threading
from typing import Any

import requests

from bench.http_load import Case
from bench.side import Side
from tests.harness.stack import Stack

STALL_CONNECTIONS = 8
STREAMS = 1
SECONDS = 6
CHUNK = 64 * 1024
LIST_TIMEOUT = 60


def while_listing(stack: Stack, by_id: Case, movies: int) -> dict[str, Any]:
    """p99 of GET by id with and without STREAMS whole lists of `movies` streaming, with the
    CPU each process spent per GET (the lists' share included, while they stream)."""
    pids = {"gateway": stack.gateway.pid, "inventory": stack.inventory.pid}
    quiet, busy = Side(stack.gateway.url, pids), Side(stack.gateway.url, pids)
    quiet.warm(by_id)
    quiet.run(by_id, SECONDS, STALL_CONNECTIONS)
    stop = threading.Event()
    lists: list[int] = []
    readers = [
        threading.Thread(target=_read_lists, args=(stack.gateway.url, stop, lists), daemon=True)
        for _ in range(STREAMS)
    ]
    for reader in readers:
        reader.start()
    try:
        busy.run(by_id, SECONDS, STALL_CONNECTIONS)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=LIST_TIMEOUT)
    return {
        "movies": movies,
        "connections": STALL_CONNECTIONS,
        "streams": STREAMS,
        "lists_read": sum(1 for n in lists if n),
        "lists_failed": sum(1 for n in lists if not n),
        "quiet": quiet.summary(),
        "while_listing": busy.summary(),
    }


def _read_lists(base_url: str, stop: threading.Event, lists: list[int]) -> None:
    """Reads the whole list again and again until `stop`; appends each one's byte count (0
    for an answer that was not a whole 200)."""
    with requests.Session() as session:
        while not stop.is_set():
            try:
                with session.get(
                    base_url + "/api/movies", stream=True, timeout=LIST_TIMEOUT
                ) as answer:
                    size = sum(len(chunk) for chunk in answer.iter_content(CHUNK))
                    lists.append(size if answer.status_code == 200 else 0)
            except requests.RequestException:
                lists.append(0)
