"""The gateway's HTTP contract through TestClient: the movie proxy over an in-process
inventory, order intake over a recording publisher, probes, metrics and the OpenAPI document."""

from __future__ import annotations

import json
import re

import pytest
from falcon import testing

from services.common.errors import DependencyTimeout, DependencyUnavailable
from services.gateway.app import GatewayDeps, create_app
from services.gateway.upstream import BadUpstream
from tests.unit.services.standins import (
    InProcessInventory,
    MemoryMovieStore,
    RecordingPublisher,
    assert_error,
    scrape,
)

LIMIT = 1024
ORDER = {"user_id": 20, "number_of_items": 2, "total_amount": 19.9}


@pytest.fixture
def inventory() -> InProcessInventory:
    return InProcessInventory(MemoryMovieStore())


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def client(inventory, publisher) -> testing.TestClient:
    deps = GatewayDeps(inventory=inventory, publisher=publisher, max_body_bytes=LIMIT)  # type: ignore[arg-type]
    return testing.TestClient(create_app(deps))


def test_movies_go_through_to_inventory_and_back(client):
    created = client.simulate_post("/api/movies", json={"title": "Heat", "description": "LA"})
    assert created.status_code == 200
    assert created.json == {"id": 1, "title": "Heat", "description": "LA"}
    assert client.simulate_get("/api/movies/1").json == created.json
    assert client.simulate_put("/api/movies/1/", json={"title": "Heat (1995)"}).json["title"] == (
        "Heat (1995)"
    )
    assert client.simulate_get("/api/movies/").json == [
        {"id": 1, "title": "Heat (1995)", "description": "LA"}
    ]
    assert client.simulate_delete("/api/movies/1").status_code == 200
    assert client.simulate_delete("/api/movies").json["deleted"] == 0


def test_the_title_filter_reaches_inventory(client):
    for title in ("Heat", "Alien"):
        client.simulate_post("/api/movies", json={"title": title})
    found = client.simulate_get("/api/movies", params={"title": "ALI"}).json
    assert [movie["title"] for movie in found] == ["Alien"]


def test_a_page_and_its_link_header_come_through(client):
    for title in ("Heat", "Alien", "Ran"):
        client.simulate_post("/api/movies", json={"title": title})
    page = client.simulate_get("/api/movies", params={"limit": "2"})
    assert [movie["id"] for movie in page.json] == [1, 2]
    assert page.headers["Link"] == '</api/movies?limit=2&after=2>; rel="next"'


def test_inventory_errors_are_relayed_as_they_are(client):
    assert_error(client.simulate_get("/api/movies/404"), 404)
    result = client.simulate_post("/api/movies", body="{", content_type="application/json")
    assert "JSON" in assert_error(result, 400)["title"]
    result = client.simulate_post("/api/movies", json={"title": 5})
    assert assert_error(result, 400)["description"] == "title must be a string"


def test_an_id_cannot_escape_its_path(client, inventory):
    client.simulate_get("/api/movies/1%3Fx=1%23top")
    assert inventory.requests[-1][1] == "/api/movies/1%3Fx%3D1%23top"


def test_the_request_id_travels_to_inventory(client, inventory):
    result = client.simulate_get("/api/movies", headers={"X-Request-ID": "trace-7"})
    assert result.headers["X-Request-ID"] == "trace-7"
    assert inventory.requests[-1][2]["X-Request-ID"] == "trace-7"


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (DependencyUnavailable("inventory is unavailable"), 503),
        (DependencyTimeout("inventory did not answer in time"), 504),
        (BadUpstream("inventory sent a broken response"), 502),
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/movies"), ("GET", "/api/movies/1")])
def test_an_inventory_that_fails_is_502_503_or_504(
    client, inventory, failure, status, method, path
):
    inventory.failure = failure
    assert_error(client.simulate_request(method, path), status)


def test_an_order_is_published_once_and_echoed(client, publisher):
    result = client.simulate_post("/api/billing", json=ORDER, headers={"X-Request-ID": "r-1"})
    assert result.status_code == 200
    assert result.json["message"] == "order queued"
    assert {k: result.json[k] for k in ORDER} == {
        "user_id": 20,
        "number_of_items": 2,
        "total_amount": "19.90",
    }
    [(message, message_id, request_id)] = publisher.published
    assert message == {"user_id": 20, "number_of_items": 2, "total_amount": "19.90"}
    assert (message_id, request_id) == (result.json["order_id"], "r-1")


def test_numeric_strings_are_accepted_as_the_audit_sends_them(client, publisher):
    body = {"user_id": "20", "number_of_items": "5", "total_amount": "100"}
    assert client.simulate_post("/api/billing", json=body).status_code == 200
    assert publisher.published[0][0]["total_amount"] == "100.00"


def test_an_idempotency_key_becomes_the_message_id(client, publisher):
    headers = {"Idempotency-Key": "order-42"}
    first = client.simulate_post("/api/billing", json=ORDER, headers=headers)
    again = client.simulate_post("/api/billing", json=ORDER, headers=headers)
    assert first.json["order_id"] == again.json["order_id"]
    assert [p[1] for p in publisher.published] == [first.json["order_id"]] * 2
    bad = client.simulate_post("/api/billing", json=ORDER, headers={"Idempotency-Key": "a b"})
    assert_error(bad, 400)


@pytest.mark.parametrize(
    "body",
    [
        "{",
        "",
        "[]",
        json.dumps({**ORDER, "user_id": True}),
        json.dumps({**ORDER, "number_of_items": "-1"}),
        json.dumps({**ORDER, "total_amount": "1.001"}),
        json.dumps({"user_id": 1}),
    ],
)
def test_a_malformed_order_is_400_and_never_published(client, publisher, body):
    result = client.simulate_post("/api/billing", body=body, content_type="application/json")
    assert_error(result, 400)
    assert publisher.published == []


def test_an_order_that_is_not_json_is_415(client, publisher):
    result = client.simulate_post("/api/billing", body="user_id=1", content_type="text/plain")
    assert_error(result, 415)
    assert publisher.published == []


@pytest.mark.parametrize("path", ["/api/billing", "/api/movies"])
def test_a_body_over_the_limit_is_413(client, publisher, inventory, path):
    result = client.simulate_post(path, json={"title": "x" * LIMIT, **ORDER})
    assert_error(result, 413)
    assert publisher.published == []
    assert inventory.requests == []


def test_a_broker_that_cannot_take_the_order_is_503(client, publisher):
    publisher.failure = DependencyUnavailable("the message broker is unavailable")
    assert_error(client.simulate_post("/api/billing", json=ORDER), 503)


def test_readiness_reports_the_broker_and_inventory_but_fails_for_neither(
    client, publisher, inventory
):
    both = {"status": "ok", "checks": {"broker": "ok", "inventory": "ok"}}
    assert client.simulate_get("/readyz").json == both
    inventory.failure = DependencyUnavailable("inventory is unavailable")
    publisher.failure = ConnectionRefusedError("broker down")
    ready = client.simulate_get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ok"
    assert ready.json["checks"] == {
        "broker": "failed: ConnectionRefusedError: broker down",
        "inventory": "failed: DependencyUnavailable: inventory is unavailable",
    }
    assert client.simulate_get("/healthz").status_code == 200


def test_metrics_are_prometheus_text(client):
    client.simulate_post("/api/billing", json=ORDER)
    text = scrape(client)
    assert text.headers["content-type"].startswith("text/plain")
    assert 'http_requests_total{method="POST",route="/api/billing",status="200"} 1.0' in text.text


def test_the_openapi_document_describes_the_routes_served(client):
    result = client.simulate_get("/api/openapi.json")
    assert result.headers["content-type"].startswith("application/json")
    document = result.json
    assert document["openapi"].startswith("3.1")
    assert {"/api/movies", "/api/movies/{id}", "/api/billing"} <= set(document["paths"])


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/api/movies"), ("GET", "/api/billing")])
def test_an_unsupported_method_is_405(client, method, path):
    assert_error(client.simulate_request(method, path), 405)


def test_the_docs_page_and_every_asset_it_links_are_served_here(client):
    page = client.simulate_get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links
    for link in links:
        assert client.simulate_get(link).status_code == 200, link
    assert_error(client.simulate_get("/api/docs/assets/missing.js"), 404)
