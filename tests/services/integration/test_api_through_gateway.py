"""Every endpoint and error status of the API (docs/api.md), through the gateway, with all
three services running as real processes (`python -m services.<name>`)."""

from __future__ import annotations

import json
import time

import pytest
import requests

ORDER = {"user_id": "20", "number_of_items": "3", "total_amount": "49.90"}


@pytest.fixture(scope="module")
def api(stack):
    session = requests.Session()
    base = stack.gateway.url

    def call(method: str, path: str, **kwargs) -> requests.Response:
        return session.request(method, base + path, timeout=10, **kwargs)

    call("DELETE", "/api/movies")
    return call


def test_movie_crud_with_and_without_trailing_slashes(api):
    created = api(
        "POST", "/api/movies/", json={"title": "Blade Runner", "description": "Replicants"}
    )
    assert created.status_code == 200
    movie = created.json()
    assert set(movie) == {"id", "title", "description"}
    assert api("GET", f"/api/movies/{movie['id']}").json() == movie
    assert api("GET", f"/api/movies/{movie['id']}/").json() == movie
    assert movie in api("GET", "/api/movies").json()
    assert movie in api("GET", "/api/movies/").json()
    changed = api("PUT", f"/api/movies/{movie['id']}/", json={"description": "Tears in rain"})
    assert changed.json() == {**movie, "description": "Tears in rain"}
    assert api("DELETE", f"/api/movies/{movie['id']}/").status_code == 200
    assert api("GET", f"/api/movies/{movie['id']}").status_code == 404


def test_title_filter_and_delete_all(api):
    for title in ("The Godfather", "Godfather II", "Jaws"):
        api("POST", "/api/movies", json={"title": title, "description": ""})
    found = api("GET", "/api/movies", params={"title": "GODFATHER"}).json()
    assert [m["title"] for m in found] == ["The Godfather", "Godfather II"]
    assert api("GET", "/api/movies?title=zzz").json() == []
    assert api("DELETE", "/api/movies/").status_code == 200
    assert api("GET", "/api/movies").json() == []


def test_a_long_list_is_relayed_whole_and_pages_link_through_the_gateway(api, stack):
    # ~700 KB of JSON: above what the gateway buffers, so it is relayed chunk by chunk.
    stack.inventory_db.query(
        "INSERT INTO movies (title, description) "
        "SELECT 'Long list ' || g, repeat('x', 200) FROM generate_series(1, 3000) g"
    )
    answer = api("GET", "/api/movies")
    assert answer.headers["transfer-encoding"] == "chunked"
    assert len(answer.json()) == 3000
    page = api("GET", "/api/movies", params={"limit": "1000", "title": "long list"})
    assert len(page.json()) == 1000
    assert page.links["next"]["url"].startswith("/api/movies?limit=1000&after=")
    assert api("GET", page.links["next"]["url"]).json()[0]["id"] > page.json()[-1]["id"]
    assert api("DELETE", "/api/movies").json()["deleted"] == 3000


def test_title_with_sql_is_just_text(api):
    title = "Robert'); DROP TABLE movies;--"
    movie = api("POST", "/api/movies", json={"title": title, "description": "1' OR '1'='1"}).json()
    assert api("GET", "/api/movies", params={"title": "drop table"}).json() == [movie]
    assert api("GET", f"/api/movies/{movie['id']}").json()["title"] == title


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/movies/987654321", {}, 404),
        ("PUT", "/api/movies/987654321", {"json": {"title": "x"}}, 404),
        ("DELETE", "/api/movies/987654321", {}, 404),
        ("GET", "/api/movies/not-a-number", {}, 404),
        ("GET", "/api/movies/1%2F..%2F..%2Fhealthz", {}, 404),
        ("GET", "/nope", {}, 404),
        (
            "POST",
            "/api/movies",
            {"data": "{bad", "headers": {"Content-Type": "application/json"}},
            400,
        ),
        ("POST", "/api/movies", {"json": {"title": 42}}, 400),
        ("POST", "/api/movies", {"json": {"description": "no title"}}, 400),
        (
            "POST",
            "/api/movies",
            {"data": "title=x", "headers": {"Content-Type": "text/plain"}},
            415,
        ),
        ("POST", "/api/movies", {"json": {"title": "x" * 100_000}}, 413),
        ("PATCH", "/api/movies", {}, 405),
        (
            "POST",
            "/api/billing",
            {"data": "{", "headers": {"Content-Type": "application/json"}},
            400,
        ),
        ("POST", "/api/billing", {"json": {**ORDER, "total_amount": -5}}, 400),
        ("POST", "/api/billing", {"json": {**ORDER, "user_id": [1]}}, 400),
        ("POST", "/api/billing", {"data": "x", "headers": {"Content-Type": "text/csv"}}, 415),
        ("POST", "/api/billing", {"json": {**ORDER, "pad": "x" * 100_000}}, 413),
        ("GET", "/api/billing", {}, 405),
    ],
)
def test_errors_are_json_with_the_right_status(api, method, path, kwargs, status):
    answer = api(method, path, **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert "title" in answer.json()


def test_order_is_stored_by_billing(api, stack):
    before = stack.orders()
    answer = api("POST", "/api/billing", json=ORDER, headers={"X-Request-ID": "audit-order-1"})
    assert answer.status_code == 200
    deadline = time.monotonic() + 10
    while stack.orders() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    row = stack.billing_db.query(
        "SELECT user_id, number_of_items, total_amount::text, request_id FROM orders "
        "WHERE message_id = :id",
        id=answer.json()["order_id"],
    )
    assert row == [[20, 3, "49.90", "audit-order-1"]]


def test_request_id_travels_to_inventory_and_billing_logs(api, stack):
    api("GET", "/api/movies", headers={"X-Request-ID": "trace-me-42"})
    api("POST", "/api/billing", json=ORDER, headers={"X-Request-ID": "trace-me-43"})
    time.sleep(0.5)

    def ids(logs: str) -> set[str]:
        return {
            json.loads(line).get("request_id") for line in logs.splitlines() if line.startswith("{")
        }

    assert "trace-me-42" in ids(stack.gateway.logs())
    assert "trace-me-42" in ids(stack.inventory.logs())
    assert "trace-me-43" in ids(stack.gateway.logs())
    assert (
        stack.billing_db.scalar("SELECT count(*) FROM orders WHERE request_id = 'trace-me-43'") == 1
    )


def test_probes_metrics_and_openapi(api, stack):
    for service in (stack.gateway, stack.inventory, stack.billing):
        assert requests.get(service.url + "/healthz", timeout=5).status_code == 200
        assert requests.get(service.url + "/readyz", timeout=5).json()["status"] == "ok"
        assert (
            requests.get(service.url + "/healthz", timeout=5).headers["X-Content-Type-Options"]
            == "nosniff"
        )
        assert requests.get(service.url + "/metrics", timeout=5).status_code == 404
        metrics = requests.get(service.metrics_url, timeout=5)
        assert metrics.headers["Content-Type"].startswith("text/plain")
        assert "http_requests_total" in metrics.text
    assert "billing_orders_stored_total" in requests.get(stack.billing.metrics_url, timeout=5).text
    assert api("GET", "/api/openapi.json").json()["openapi"].startswith("3.1")


def test_logs_are_one_json_object_per_line(stack):
    for service in (stack.gateway, stack.inventory, stack.billing):
        lines = [line for line in service.logs().splitlines() if line.strip()]
        assert lines
        for line in lines:
            entry = json.loads(line)
            assert {"ts", "level", "service", "msg"} <= set(entry)


def test_retried_order_with_an_idempotency_key_is_stored_once(api, stack):
    headers = {"Idempotency-Key": "retry-me-7"}
    answers = [api("POST", "/api/billing", json=ORDER, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    order_id = answers[0].json()["order_id"]
    deadline = time.monotonic() + 10
    query = "SELECT count(*) FROM orders WHERE message_id = :id"
    while stack.billing_db.scalar(query, id=order_id) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert stack.billing_db.scalar(query, id=order_id) == 1
