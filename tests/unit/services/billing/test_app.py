"""Billing's HTTP side: probes and metrics, ready only while it consumes and its DB answers."""

from __future__ import annotations

import pytest
from falcon import testing

from services.billing.app import BillingDeps, create_app
from services.billing.metrics import BillingMetrics
from services.common.errors import DependencyUnavailable
from tests.unit.services.standins import Failing, assert_error, scrape


class PingableStore(Failing):
    """The one OrderStore method the HTTP side calls."""

    def ping(self) -> None:
        self._check()


@pytest.fixture
def deps() -> BillingDeps:
    return BillingDeps(store=PingableStore())  # type: ignore[arg-type]


@pytest.fixture
def client(deps) -> testing.TestClient:
    return testing.TestClient(create_app(deps))


def test_ready_only_while_consuming(client, deps):
    deps.state.consuming.clear()
    result = client.simulate_get("/readyz")
    assert result.status_code == 503
    assert result.json["checks"]["database"] == "ok"
    assert "not consuming" in result.json["checks"]["broker"]
    deps.state.consuming.set()
    assert client.simulate_get("/readyz").json == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
    }


def test_not_ready_when_the_database_fails(client, deps):
    deps.state.consuming.set()
    deps.store.failure = DependencyUnavailable("the database is unavailable")
    result = client.simulate_get("/readyz")
    assert result.status_code == 503
    assert result.json["checks"]["broker"] == "ok"
    assert client.simulate_get("/healthz").json == {"status": "ok"}


def test_metrics_include_the_consumer_counters(deps, client):
    BillingMetrics(deps.registry).observe_batch(size=5, added=4, seconds=0.01)
    text = scrape(client).text
    assert "billing_orders_stored_total 4.0" in text
    assert "billing_orders_duplicate_total 1.0" in text


def test_there_is_no_api_here(client):
    assert_error(client.simulate_get("/api/movies"), 404)
    assert_error(client.simulate_post("/api/billing", json={}), 404)
