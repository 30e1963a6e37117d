"""API_TOKENS on a real gateway in front of the real inventory and billing (PostgreSQL and
RabbitMQ): a write without the token answers 401 and changes nothing in either database, one
with a token is served, reads need none, and no token reaches a log line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.harness.stack import Stack

TOKENS = ("integration-token-one-0123456789", "integration-token-two-abcdefghij")
WRONG = "integration-token-wrong-zyxwvutsr"
ORDER = {"user_id": "20", "number_of_items": "3", "total_amount": "49.90"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack.create(Path(tmp_path_factory.mktemp("guarded")), API_TOKENS=",".join(TOKENS))
    try:
        yield stack.start()
    finally:
        stack.destroy()


def call(stack: Stack, method: str, path: str, token: str | None = None, **kwargs):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return requests.request(method, stack.gateway.url + path, headers=headers, timeout=10, **kwargs)


def movies_in_db(stack: Stack) -> list[tuple[int, str]]:
    rows = stack.inventory_db.query("SELECT id, title FROM movies ORDER BY id")
    return [(int(str(row[0])), str(row[1])) for row in rows]


def test_writes_without_a_valid_token_are_401_and_change_nothing(guarded):
    kept = call(guarded, "POST", "/api/movies", TOKENS[0], json={"title": "Kept"}).json()
    before = movies_in_db(guarded)
    attempts = [
        ("POST", "/api/movies", {"title": "Intruder"}),
        ("PUT", f"/api/movies/{kept['id']}", {"title": "Defaced"}),
        ("DELETE", f"/api/movies/{kept['id']}", None),
        ("DELETE", "/api/movies", None),
    ]
    for token in (None, WRONG):
        for method, path, body in attempts:
            answer = call(guarded, method, path, token, json=body)
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert set(answer.json()) == {"title", "description"}
    assert movies_in_db(guarded) == before


def test_writes_with_either_token_are_served(guarded):
    created = call(guarded, "POST", "/api/movies", TOKENS[0], json={"title": "Heat"})
    assert created.status_code == 200
    movie = created.json()
    path = f"/api/movies/{movie['id']}"
    assert call(guarded, "PUT", path, TOKENS[1], json={"title": "Heat (1995)"}).status_code == 200
    assert (movie["id"], "Heat (1995)") in movies_in_db(guarded)
    assert call(guarded, "DELETE", path, TOKENS[1]).status_code == 200
    assert movie["id"] not in [row[0] for row in movies_in_db(guarded)]


def test_reads_need_no_token(guarded):
    movie = call(guarded, "POST", "/api/movies", TOKENS[0], json={"title": "Alien"}).json()
    assert movie in call(guarded, "GET", "/api/movies").json()
    assert call(guarded, "GET", f"/api/movies/{movie['id']}").json() == movie
    for path in ("/healthz", "/readyz", "/api/openapi.json", "/api/docs"):
        assert call(guarded, "GET", path).status_code == 200, path


def test_an_order_without_a_token_is_never_queued(guarded):
    """Orders are stored in queue order: once the authorized order is stored, an earlier
    unauthorized one would have been stored before it."""
    start = guarded.orders()
    assert call(guarded, "POST", "/api/billing", json=ORDER).status_code == 401
    assert call(guarded, "POST", "/api/billing", WRONG, json=ORDER).status_code == 401
    assert call(guarded, "POST", "/api/billing", TOKENS[1], json=ORDER).status_code == 200
    deadline = time.monotonic() + 20
    while guarded.orders() < start + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    assert guarded.orders() == start + 1


def test_no_token_reaches_a_log_line(guarded):
    call(guarded, "DELETE", "/api/movies", WRONG)
    call(guarded, "POST", "/api/billing", TOKENS[0], json=ORDER)
    logs = guarded.gateway.logs() + guarded.inventory.logs() + guarded.billing.logs()
    assert '"auth":"rejected"' in logs
    for token in (*TOKENS, WRONG):
        assert token not in logs
