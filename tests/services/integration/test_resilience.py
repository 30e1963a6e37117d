"""Failure scenarios with real processes: billing stopped or killed, broker or database away."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from faults.tcp_proxy import TcpProxy
from tests.harness.backends import MQ_PORT, PG_PORT
from tests.harness.stack import Stack


def order(user_id: int) -> dict[str, object]:
    return {"user_id": user_id, "number_of_items": 1, "total_amount": "9.99"}


def wait_for(predicate, timeout: float = 30.0, message: str = "condition") -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{message} not met after {timeout}s")


def place_orders(gateway_url: str, user_ids: range, workers: int = 16) -> list[int]:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=workers)
    session.mount("http://", adapter)

    def post(user_id: int) -> int:
        return session.post(
            f"{gateway_url}/api/billing", json=order(user_id), timeout=10
        ).status_code

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(post, user_ids))


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack.create(tmp_path)
    yield stack
    stack.destroy()


def test_order_taken_while_billing_is_down_is_stored_once_it_returns(own_stack):
    stack = own_stack.start()
    assert place_orders(stack.gateway.url, range(1, 2)) == [200]  # order A
    wait_for(lambda: stack.orders() == 1, message="order A stored")
    assert stack.billing.stop() == 0
    assert place_orders(stack.gateway.url, range(2, 3)) == [200]  # order B
    time.sleep(1.0)
    assert stack.orders() == 1  # B waits in the durable queue
    stack.billing.start(wait_for="/readyz")
    wait_for(lambda: stack.orders() == 2, message="order B stored")
    time.sleep(0.5)
    assert stack.billing_db.query("SELECT user_id FROM orders ORDER BY user_id") == [[1], [2]]


def test_billing_killed_mid_backlog_stores_every_order_exactly_once(tmp_path):
    # Small batches so that a kill lands between commits, not after the last one.
    stack = Stack.create(tmp_path, BILLING_BATCH_SIZE="20", BILLING_PREFETCH="40")
    try:
        stack.inventory.start()
        stack.gateway.start(wait_for="/readyz")
        total = 3000
        statuses = place_orders(stack.gateway.url, range(1, total + 1))
        assert statuses.count(200) == total
        stack.billing.start(wait_for="/healthz")
        wait_for(lambda: stack.orders() > 200, message="drain started")
        stack.billing.kill()
        at_kill = stack.orders()
        assert at_kill < total, "billing finished before it was killed; the test proved nothing"
        stack.billing.start(wait_for="/readyz")
        wait_for(lambda: stack.orders() >= total, timeout=60, message="backlog drained")
        time.sleep(0.5)
        db = stack.billing_db
        assert db.scalar("SELECT count(*) FROM orders") == total
        assert db.scalar("SELECT count(DISTINCT message_id) FROM orders") == total
        assert db.scalar("SELECT count(DISTINCT user_id) FROM orders") == total
        assert stack.queue.depth() == 0
    finally:
        stack.destroy()


def broker_state(gateway: str) -> str:
    """The broker's state as the gateway's /readyz reports it (it never fails readiness)."""
    report = requests.get(f"{gateway}/readyz", timeout=10)
    assert report.status_code == 200, report.text
    return report.json()["checks"]["broker"]


def test_broker_unreachable_answers_503_quickly_and_recovers(own_stack):
    relay = TcpProxy(("127.0.0.1", MQ_PORT)).start()
    own_stack.gateway.env["RABBITMQ_PORT"] = str(relay.port)
    stack = own_stack.start()
    assert place_orders(stack.gateway.url, range(1, 6)) == [200] * 5
    wait_for(lambda: stack.orders() == 5, message="first orders stored")
    relay.cut()
    started = time.monotonic()
    answer = requests.post(f"{stack.gateway.url}/api/billing", json=order(99), timeout=10)
    assert answer.status_code == 503
    assert time.monotonic() - started < 3.0
    assert answer.json()["title"] == "Service Unavailable"
    assert broker_state(stack.gateway.url).startswith("failed")
    assert requests.get(f"{stack.gateway.url}/healthz", timeout=10).status_code == 200
    relay.restore()
    wait_for(lambda: broker_state(stack.gateway.url) == "ok", message="broker reported back")
    assert place_orders(stack.gateway.url, range(6, 11)) == [200] * 5
    wait_for(lambda: stack.orders() == 10, message="later orders stored")
    time.sleep(0.5)
    # Nothing half-done: the refused order never reached the queue or the table.
    assert stack.billing_db.scalar("SELECT count(*) FROM orders WHERE user_id = 99") == 0
    relay.cut()


def chart_readiness_path(component: str) -> str:
    """The path of the readiness probe the committed chart gives a component."""
    template = Path(__file__).parents[3] / "charts/movies/templates" / f"{component}.yaml"
    found = re.search(r"readinessProbe:\n(?:\s+\S.*\n)*?\s+path: (\S+)", template.read_text())
    assert found, f"{component} has no HTTP readiness probe"
    return found.group(1)


def test_the_gateway_stays_in_service_while_the_broker_is_away(own_stack):
    """What Kubernetes sees through the chart's readiness probe while RabbitMQ restarts:
    the gateway stays ready, movies keep working, orders get 503, then both recover."""
    probe = chart_readiness_path("api-gateway")
    relay = TcpProxy(("127.0.0.1", MQ_PORT)).start()
    own_stack.gateway.env["RABBITMQ_PORT"] = str(relay.port)
    stack = own_stack.start()
    gateway = stack.gateway.url
    relay.cut()
    assert requests.get(gateway + probe, timeout=10).status_code == 200
    created = requests.post(f"{gateway}/api/movies", json={"title": "Away"}, timeout=10)
    assert created.status_code == 200
    movie = f"{gateway}/api/movies/{created.json()['id']}"
    assert requests.get(movie, timeout=10).json()["title"] == "Away"
    assert requests.get(f"{gateway}/api/movies?title=away", timeout=10).status_code == 200
    assert requests.post(f"{gateway}/api/billing", json=order(7), timeout=10).status_code == 503
    report = requests.get(f"{gateway}/readyz", timeout=10)  # `orchestrator health` reads this
    assert report.status_code == 200
    assert report.json()["checks"]["broker"].startswith("failed")
    relay.restore()
    wait_for(
        lambda: (
            requests.post(f"{gateway}/api/billing", json=order(8), timeout=10).status_code == 200
        ),
        message="orders taken again",
    )
    assert requests.get(f"{gateway}/readyz", timeout=10).status_code == 200
    assert requests.get(gateway + probe, timeout=10).status_code == 200
    assert requests.delete(movie, timeout=10).status_code == 200
    wait_for(lambda: stack.orders() == 1, message="the order after the broker came back")
    relay.cut()


def test_inventory_database_away_is_503_then_recovers_by_itself(own_stack):
    relay = TcpProxy(("127.0.0.1", PG_PORT)).start()
    own_stack.inventory.env["INVENTORY_DB_PORT"] = str(relay.port)
    stack = own_stack.start()
    gateway, inventory = stack.gateway.url, stack.inventory.url
    assert (
        requests.post(f"{gateway}/api/movies", json={"title": "Up"}, timeout=10).status_code == 200
    )
    relay.cut()
    for method, path in (
        ("GET", "/api/movies"),
        ("GET", "/api/movies/1"),
        ("DELETE", "/api/movies/1"),
    ):
        answer = requests.request(method, gateway + path, timeout=15)
        assert answer.status_code == 503, (method, path, answer.text)
        assert answer.json()["title"] == "Service Unavailable"
    assert (
        requests.post(f"{gateway}/api/movies", json={"title": "x"}, timeout=15).status_code == 503
    )
    assert requests.get(f"{inventory}/readyz", timeout=15).status_code == 503
    assert requests.get(f"{inventory}/healthz", timeout=5).status_code == 200
    relay.restore()
    recovered = wait_for(
        lambda: requests.get(f"{gateway}/api/movies", timeout=10).status_code == 200,
        message="movie routes recovered",
    )
    assert recovered < 10
    assert requests.get(f"{inventory}/readyz", timeout=5).status_code == 200
    assert [m["title"] for m in requests.get(f"{gateway}/api/movies", timeout=5).json()] == ["Up"]
    relay.cut()
