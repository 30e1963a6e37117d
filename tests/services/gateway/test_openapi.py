"""The OpenAPI document and the gateway agree: every documented path and status is served,
and every served route is documented."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from falcon import inspect, testing

from faults.misbehaving import GarbageServer, HungListener, refused_port

DOC = json.loads((Path(__file__).parents[3] / "services/gateway/openapi.json").read_text())
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
MOVIE_OPS = [
    ("/api/movies", "get"),
    ("/api/movies", "post"),
    ("/api/movies", "delete"),
    ("/api/movies/{id}", "get"),
    ("/api/movies/{id}", "put"),
    ("/api/movies/{id}", "delete"),
]
WRITE_OPS = {
    ("/api/movies", "post"),
    ("/api/movies", "delete"),
    ("/api/movies/{id}", "put"),
    ("/api/movies/{id}", "delete"),
    ("/api/billing", "post"),
}
TOKEN = "openapi-test-token-0123456789"


def documented() -> set[tuple[str, str, int]]:
    return {
        (path, method, int(status))
        for path, item in DOC["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        for status in operation["responses"]
    }


@pytest.fixture
def clients(make_gateway, stack):
    hung, garbage = HungListener(), GarbageServer()
    made = {
        "ok": make_gateway(inventory_url=stack.inventory.url, max_body_bytes=64 * 1024),
        401: make_gateway(inventory_url=stack.inventory.url, api_tokens=TOKEN),
        502: make_gateway(inventory_url=garbage.url),
        503: make_gateway(broker_port=refused_port()),
        504: make_gateway(inventory_url=hung.url, read_timeout=0.3),
    }
    yield made
    hung.close()
    garbage.close()


def concrete(path: str, movie_id: int) -> str:
    return path.replace("{id}", str(movie_id))


def provoke(clients, path: str, method: str, status: int) -> int:
    """Sends the request that should produce `status` on `method path`; returns what came."""
    ok: testing.TestClient = clients["ok"]
    movie = ok.simulate_post("/api/movies", json={"title": "probe"}).json["id"]
    url = concrete(path, movie)
    body = {"title": "t", "description": "d"}
    if path == "/api/billing":
        body = {"user_id": 1, "number_of_items": 1, "total_amount": 1}
    how: dict[int, Callable[[], testing.Result]] = {
        200: lambda: ok.simulate_request(
            method.upper(), url, json=body if method in ("post", "put") else None
        ),
        400: lambda: (
            ok.simulate_request(method.upper(), url, body="{x", content_type="application/json")
            if method in ("post", "put")
            else ok.simulate_get(url, params={"title": "x" * 501})
        ),
        401: lambda: clients[401].simulate_request(method.upper(), url, json=body),
        404: lambda: ok.simulate_request(method.upper(), concrete(path, 2**62), json=body),
        413: lambda: ok.simulate_request(method.upper(), url, json={"title": "x" * 70_000}),
        415: lambda: ok.simulate_request(method.upper(), url, body="x", content_type="text/plain"),
        502: lambda: clients[502].simulate_request(method.upper(), url, json=body),
        503: lambda: clients[503].simulate_request(method.upper(), url, json=body),
        504: lambda: clients[504].simulate_request(method.upper(), url, json=body),
    }
    return how[status]().status_code


@pytest.mark.parametrize(("path", "method", "status"), sorted(documented()))
def test_documented_status_is_served(clients, path, method, status):
    assert provoke(clients, path, method, status) == status


def test_every_movie_operation_documents_upstream_failures():
    for path, method in MOVIE_OPS:
        assert {"502", "503", "504"} <= set(DOC["paths"][path][method]["responses"])


def test_exactly_the_writes_declare_the_bearer_scheme_and_401():
    assert DOC["components"]["securitySchemes"]["bearerAuth"] == {
        **DOC["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert "security" not in DOC  # reads stay open
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            is_write = (path, method) in WRITE_OPS
            assert ("security" in operation) == is_write, (path, method)
            assert ("401" in operation["responses"]) == is_write, (path, method)
            if is_write:
                # Bearer, or nothing where API_TOKENS is unset (and on inventory's own port).
                assert operation["security"] == [{"bearerAuth": []}, {}]


def test_the_documented_401_is_what_the_gateway_sends(clients):
    answer = clients[401].simulate_delete("/api/movies")
    documented = DOC["components"]["responses"]["Unauthorized"]
    assert (
        answer.headers["WWW-Authenticate"]
        == documented["headers"]["WWW-Authenticate"]["schema"]["const"]
    )
    examples = documented["content"]["application/json"]["examples"]
    assert answer.json == examples["missing"]["value"]
    wrong = clients[401].simulate_delete("/api/movies", headers={"Authorization": "Bearer x"})
    assert wrong.json == examples["rejected"]["value"]
    right = clients[401].simulate_delete(
        "/api/movies", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert right.status_code == 200


def test_metrics_are_not_a_public_path(make_gateway):
    assert "/metrics" not in DOC["paths"]
    assert make_gateway().simulate_get("/metrics").status_code == 404


def test_every_served_route_is_documented(make_gateway):
    app = make_gateway().app
    served = {
        (route.path.replace("{movie_id}", "{id}"), m.method.lower())
        for route in inspect.inspect_routes(app)
        for m in route.methods
        if not m.internal
    }
    in_doc = {(path, method) for path, method, _ in documented()}
    assert served == in_doc


def test_served_document_is_the_committed_one(make_gateway):
    assert make_gateway().simulate_get("/api/openapi.json").json == DOC
