"""Inventory's API through falcon's TestClient, on a real PostgreSQL database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from falcon import testing

from services.common.db import ConnectionPool, DbSettings
from services.inventory.app import InventoryDeps, create_app
from services.inventory.storage import MovieStore, migrate
from tests.harness.backends import PG_HOST, PG_PORT, PG_USER, Database
from tests.unit.services.standins import scrape


@pytest.fixture(scope="module")
def pool(inventory_db: Database) -> Iterator[ConnectionPool]:
    settings = DbSettings(host=PG_HOST, port=PG_PORT, name=inventory_db.name, user=PG_USER)
    pool = ConnectionPool(settings, migrate)
    yield pool
    pool.close_all()


@pytest.fixture
def client(pool: ConnectionPool) -> testing.TestClient:
    store = MovieStore(pool)
    store.delete_all()
    return testing.TestClient(create_app(InventoryDeps(store, max_body_bytes=1024)))


def post(client: testing.TestClient, path: str, body: object) -> testing.Result:
    return client.simulate_post(path, json=body)


def test_create_then_read_back(client):
    created = post(client, "/api/movies", {"title": "Alien", "description": "In space"})
    assert created.status_code == 200
    movie = created.json
    assert movie == {"id": movie["id"], "title": "Alien", "description": "In space"}
    assert client.simulate_get(f"/api/movies/{movie['id']}").json == movie
    assert client.simulate_get("/api/movies").json == [movie]


def test_description_is_optional(client):
    assert post(client, "/api/movies", {"title": "Heat"}).json["description"] == ""


def test_title_filter_is_case_insensitive_substring(client):
    for title in ("The Matrix", "Matrix Reloaded", "Alien", "100% Real_Life"):
        post(client, "/api/movies", {"title": title, "description": ""})
    titles = [
        m["title"] for m in client.simulate_get("/api/movies", params={"title": "mAtRiX"}).json
    ]
    assert titles == ["The Matrix", "Matrix Reloaded"]
    # LIKE wildcards in the needle are plain characters.
    titles = [m["title"] for m in client.simulate_get("/api/movies", params={"title": "%"}).json]
    assert titles == ["100% Real_Life"]
    assert (
        client.simulate_get("/api/movies", params={"title": "_"}).json[0]["title"]
        == "100% Real_Life"
    )


def test_sql_in_a_title_is_stored_as_text(client):
    title = "x'); DROP TABLE movies; --"
    movie = post(client, "/api/movies", {"title": title, "description": "' OR 1=1 --"}).json
    assert client.simulate_get(f"/api/movies/{movie['id']}").json["title"] == title
    assert client.simulate_get("/api/movies", params={"title": "' OR 1=1"}).json == []


def test_update_is_partial_and_404_when_missing(client):
    movie = post(client, "/api/movies", {"title": "Old", "description": "keep"}).json
    updated = client.simulate_put(f"/api/movies/{movie['id']}", json={"title": "New"})
    assert updated.status_code == 200
    assert updated.json == {"id": movie["id"], "title": "New", "description": "keep"}
    assert client.simulate_put("/api/movies/999999", json={"title": "x"}).status_code == 404


def test_delete_one_and_all(client):
    first = post(client, "/api/movies", {"title": "One"}).json
    post(client, "/api/movies", {"title": "Two"})
    assert client.simulate_delete(f"/api/movies/{first['id']}").status_code == 200
    assert client.simulate_delete(f"/api/movies/{first['id']}").status_code == 404
    gone = client.simulate_delete("/api/movies")
    assert gone.status_code == 200
    assert gone.json["deleted"] == 1
    assert client.simulate_get("/api/movies").json == []


@pytest.mark.parametrize(
    "path",
    ["/api/movies/0", "/api/movies/-1", "/api/movies/abc", "/api/movies/99999999999999999999999"],
)
def test_ids_that_cannot_exist_are_404(client, path):
    answer = client.simulate_get(path)
    assert answer.status_code == 404
    assert answer.json["title"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "object"),
        ("title", "object"),
        ({}, "title is required"),
        ({"title": 5}, "title must be a string"),
        ({"title": "  "}, "blank"),
        ({"title": "ok", "description": 7}, "description must be a string"),
        ({"title": "a\u0000b"}, "NUL"),
        ({"title": "x" * 501}, "at most 500"),
    ],
)
def test_invalid_movies_are_400_with_a_reason(client, body, reason):
    answer = post(client, "/api/movies", body)
    assert answer.status_code == 400
    assert reason in answer.json["description"]


def test_lone_surrogate_is_400_not_500(client):
    answer = client.simulate_post(
        "/api/movies", body='{"title": "\\ud800"}', content_type="application/json"
    )
    assert answer.status_code == 400


def test_malformed_json_415_and_413(client):
    bad = client.simulate_post("/api/movies", body="{nope", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json["title"] == "Invalid JSON"
    plain = client.simulate_post("/api/movies", body="title=x", content_type="text/plain")
    assert plain.status_code == 415
    big = json.dumps({"title": "x", "description": "y" * 2000})
    assert (
        client.simulate_post("/api/movies", body=big, content_type="application/json").status_code
        == 413
    )


def test_errors_are_json_even_for_xml_clients(client):
    answer = client.simulate_get("/api/movies/123456", headers={"Accept": "application/xml"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")
    assert client.simulate_patch("/api/movies").status_code == 405


def test_trailing_slashes(client):
    movie = post(client, "/api/movies/", {"title": "Slash"}).json
    assert client.simulate_get(f"/api/movies/{movie['id']}/").json == movie
    assert client.simulate_get("/api/movies/").status_code == 200


def test_probes_and_metrics(client):
    assert client.simulate_get("/healthz").json == {"status": "ok"}
    assert client.simulate_get("/readyz").json["checks"] == {"database": "ok"}
    client.simulate_get("/api/movies")
    metrics = scrape(client).text
    assert 'http_requests_total{method="GET",route="/api/movies",status="200"}' in metrics


def test_request_id_is_echoed_or_made(client):
    given = client.simulate_get("/api/movies", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    forged = client.simulate_get("/api/movies", headers={"X-Request-ID": "bad id\n{}"})
    assert forged.headers["x-request-id"] != "bad id\n{}"
    assert len(forged.headers["x-request-id"]) == 32
