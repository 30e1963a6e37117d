"""Request ids are echoed or made, and every request is counted under its route template."""

from __future__ import annotations

import falcon
import pytest
from falcon import testing
from prometheus_client import CollectorRegistry

from services.common.app import new_app
from services.common.middleware import REQUEST_ID_HEADER


class Item:
    def on_get(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        resp.media = {"id": item_id}


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def client(registry) -> testing.TestClient:
    app = new_app(registry=registry, checks={})
    app.add_route("/items/{item_id:int}", Item())
    return testing.TestClient(app)


def test_a_valid_request_id_is_echoed(client):
    result = client.simulate_get("/items/1", headers={REQUEST_ID_HEADER: "abc-123:x.y_z"})
    assert result.headers[REQUEST_ID_HEADER] == "abc-123:x.y_z"


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 129, "line\nbreak", "ünï"])
def test_a_missing_or_unsafe_request_id_is_replaced(client, sent):
    headers = {REQUEST_ID_HEADER: sent} if sent is not None else {}
    made = client.simulate_get("/items/1", headers=headers).headers[REQUEST_ID_HEADER]
    assert made != sent
    assert len(made) == 32
    int(made, 16)


def test_errors_carry_a_request_id_too(client):
    result = client.simulate_get("/nowhere", headers={REQUEST_ID_HEADER: "lost-1"})
    assert result.status_code == 404
    assert result.headers[REQUEST_ID_HEADER] == "lost-1"


def test_requests_are_counted_by_template_not_by_path(client, registry):
    for item in (1, 2, 3):
        client.simulate_get(f"/items/{item}")
    client.simulate_get("/nowhere")
    count = registry.get_sample_value
    labels = {"method": "GET", "route": "/items/{item_id:int}", "status": "200"}
    assert count("http_requests_total", labels) == 3
    assert count("http_requests_total", {**labels, "route": "unmatched", "status": "404"}) == 1
    assert (
        count("http_request_duration_seconds_count", {"method": "GET", "route": labels["route"]})
        == 3
    )


def test_a_trailing_slash_reaches_the_same_route(client):
    assert client.simulate_get("/items/5/").json == {"id": 5}
