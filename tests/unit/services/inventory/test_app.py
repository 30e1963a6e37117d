"""Inventory's HTTP contract through TestClient, over an in-memory store."""

from __future__ import annotations

import pytest

from services.common.errors import DependencyTimeout, DependencyUnavailable
from tests.unit.services.standins import MemoryMovieStore, assert_error, inventory_app, scrape

LIMIT = 1024


@pytest.fixture
def store() -> MemoryMovieStore:
    return MemoryMovieStore()


@pytest.fixture
def client(store):
    return inventory_app(store, max_body_bytes=LIMIT)


def create(client, title, description="") -> dict:
    result = client.simulate_post("/api/movies", json={"title": title, "description": description})
    assert result.status_code == 200, result.text
    return result.json


def test_crud_answers_the_movie_each_time(client):
    assert client.simulate_get("/api/movies").json == []
    heat = create(client, "Heat", "LA, 1995")
    assert heat == {"id": 1, "title": "Heat", "description": "LA, 1995"}
    assert client.simulate_get("/api/movies/1").json == heat
    changed = client.simulate_put("/api/movies/1", json={"description": "Michael Mann"})
    assert changed.json == {"id": 1, "title": "Heat", "description": "Michael Mann"}
    assert client.simulate_get("/api/movies").json == [changed.json]
    assert client.simulate_delete("/api/movies/1").status_code == 200
    assert_error(client.simulate_get("/api/movies/1"), 404)


def test_the_title_filter_is_a_case_insensitive_substring(client):
    for title in ("Heat", "The Heat", "Alien"):
        create(client, title)
    found = client.simulate_get("/api/movies", params={"title": "hEaT"}).json
    assert [m["title"] for m in found] == ["Heat", "The Heat"]


def test_pages_follow_one_another_through_the_link_header(client):
    for title in ("A1", "B", "A2", "A3"):
        create(client, title)
    first = client.simulate_get("/api/movies", params={"limit": "2", "title": "a"})
    assert [m["title"] for m in first.json] == ["A1", "A2"]
    assert first.headers["Link"] == '</api/movies?limit=2&after=3&title=a>; rel="next"'
    last = client.simulate_get("/api/movies", params={"limit": "2", "after": "3", "title": "a"})
    assert [m["title"] for m in last.json] == ["A3"]
    assert "Link" not in last.headers


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "after=-1"])
def test_paging_out_of_range_is_400(client, query):
    assert_error(client.simulate_get("/api/movies", query_string=query), 400)


def test_delete_all_empties_the_list(client):
    create(client, "A")
    create(client, "B")
    assert client.simulate_delete("/api/movies").status_code == 200
    assert client.simulate_get("/api/movies").json == []


@pytest.mark.parametrize("path", ["/api/movies/", "/api/movies/1/"])
def test_paths_work_with_a_trailing_slash(client, path):
    create(client, "Heat")
    assert client.simulate_get(path).status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("movie_id", ["999", "0", "-1", "abc", "9223372036854775808", "1.5"])
def test_a_movie_that_cannot_exist_is_404(client, method, movie_id):
    result = client.simulate_request(method, f"/api/movies/{movie_id}", json={"title": "x"})
    assert_error(result, 404)


def test_an_unknown_path_is_404(client):
    assert_error(client.simulate_get("/api/films"), 404)


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/api/movies"), ("POST", "/api/movies/1")])
def test_an_unsupported_method_is_405(client, method, path):
    create(client, "Heat")
    assert_error(client.simulate_request(method, path, json={"title": "x"}), 405)


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/movies"), ("PUT", "/api/movies/1")])
@pytest.mark.parametrize(
    "body", ['{"title": ', "", '"Heat"', '{"title": 1}', '{"title": "T", "description": []}']
)
def test_malformed_json_or_wrong_types_are_400(client, method, path, body):
    create(client, "Heat")
    result = client.simulate_request(method, path, body=body, content_type="application/json")
    assert_error(result, 400)


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/movies"), ("PUT", "/api/movies/1")])
def test_a_body_that_is_not_json_is_415(client, method, path):
    create(client, "Heat")
    result = client.simulate_request(method, path, body="title=Heat", content_type="text/plain")
    assert_error(result, 415)


def test_a_body_over_the_limit_is_413(client):
    result = client.simulate_post("/api/movies", json={"title": "x" * LIMIT})
    assert_error(result, 413)


@pytest.mark.parametrize(
    ("failure", "status"),
    [(DependencyUnavailable("the database is unavailable"), 503), (DependencyTimeout("slow"), 504)],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/movies"), ("POST", "/api/movies"), ("GET", "/api/movies/1")],
)
def test_a_database_failure_is_503_or_504(client, store, failure, status, method, path):
    store.failure = failure
    assert_error(client.simulate_request(method, path, json={"title": "x"}), status)


def test_liveness_ignores_the_database_and_readiness_does_not(client, store):
    assert client.simulate_get("/readyz").json == {"status": "ok", "checks": {"database": "ok"}}
    store.failure = DependencyUnavailable("the database is unavailable")
    assert client.simulate_get("/healthz").status_code == 200
    ready = client.simulate_get("/readyz")
    assert ready.status_code == 503
    assert ready.json["status"] == "unavailable"
    assert ready.json["checks"]["database"].startswith("failed: DependencyUnavailable")


def test_metrics_count_the_requests_served(client):
    create(client, "Heat")
    client.simulate_get("/api/movies/7")
    text = scrape(client)
    assert text.headers["content-type"].startswith("text/plain")
    assert 'http_requests_total{method="POST",route="/api/movies",status="200"} 1.0' in text.text
    assert 'status="404"' in text.text
