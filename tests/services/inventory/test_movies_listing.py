"""The movie list: streamed in pages of STREAM_PAGE, or one page with a Link to the next."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from falcon import testing

from services.common.db import ConnectionPool, DbSettings
from services.inventory.app import InventoryDeps, create_app
from services.inventory.listing import MAX_PAGE, STREAM_PAGE
from services.inventory.storage import MovieStore, migrate
from tests.harness.backends import PG_HOST, PG_PORT, PG_USER, Database

# More than two stream pages, and not a multiple of one: the last page is a partial one.
COUNT = 2 * STREAM_PAGE + 345


@pytest.fixture(scope="module")
def store(inventory_db: Database) -> Iterator[MovieStore]:
    settings = DbSettings(host=PG_HOST, port=PG_PORT, name=inventory_db.name, user=PG_USER)
    pool = ConnectionPool(settings, migrate)
    store = MovieStore(pool)
    store.delete_all()
    pool.run(
        "INSERT INTO movies (title, description) "
        "SELECT 'Movie ' || g || CASE WHEN g % 10 = 0 THEN ' ten' ELSE '' END, "
        "'a \"quoted\" line' || chr(10) || 'é' FROM generate_series(1, :n) g",
        n=COUNT,
    )
    yield store
    pool.close_all()


@pytest.fixture
def client(store: MovieStore) -> testing.TestClient:
    return testing.TestClient(create_app(InventoryDeps(store)))


def _next(answer: testing.Result) -> str | None:
    link = answer.headers.get("link")
    if link is None:
        return None
    match = re.fullmatch(r'<(/api/movies\?[^>]+)>; rel="next"', link)
    assert match, link
    return match.group(1)


def test_the_whole_list_arrives_in_several_chunks_in_id_order(client):
    answer = client.simulate_get("/api/movies")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    movies = answer.json
    assert len(movies) == COUNT
    assert [m["id"] for m in movies] == sorted(m["id"] for m in movies)
    assert movies[0] == {
        "id": movies[0]["id"],
        "title": "Movie 1",
        "description": 'a "quoted" line\né',
    }
    # What the server is handed: one chunk per page, then the closing bracket.
    chunks = list(client.app(testing.create_environ(path="/api/movies"), lambda *_: None))
    assert len(chunks) == 3 + 1
    assert max(len(chunk) for chunk in chunks) < STREAM_PAGE * 100


def test_the_title_filter_streams_too(client):
    movies = client.simulate_get("/api/movies", params={"title": " TEN"}).json
    assert len(movies) == COUNT // 10
    assert all(m["title"].endswith(" ten") for m in movies)


def test_pages_follow_their_links_to_the_whole_list(client):
    everything = client.simulate_get("/api/movies").json
    seen, path, pages = [], "/api/movies?limit=1000", 0
    while path is not None:
        answer = client.simulate_get(path.split("?")[0], query_string=path.split("?")[1])
        assert answer.status_code == 200
        seen += answer.json
        pages += 1
        path = _next(answer)
    assert seen == everything
    assert pages == 3  # the last page carries no Link


def test_a_page_keeps_the_title_filter_in_its_link(client):
    answer = client.simulate_get("/api/movies", params={"title": "ten", "limit": "5"})
    assert [m["title"] for m in answer.json] == [f"Movie {n} ten" for n in (10, 20, 30, 40, 50)]
    assert _next(answer) == f"/api/movies?limit=5&after={answer.json[-1]['id']}&title=ten"


def test_after_alone_gives_a_default_page(client):
    first_id = client.simulate_get("/api/movies", params={"limit": "1"}).json[0]["id"]
    page = client.simulate_get("/api/movies", params={"after": str(first_id)}).json
    assert len(page) == 100
    assert page[0]["id"] > first_id


def test_past_the_end_is_an_empty_page_without_link(client):
    answer = client.simulate_get("/api/movies", params={"after": str(2**63 - 1)})
    assert answer.status_code == 200
    assert answer.json == []
    assert "link" not in answer.headers


@pytest.mark.parametrize(
    "query",
    ["limit=0", f"limit={MAX_PAGE + 1}", "limit=x", "after=-1", "after=1e3", f"after={2**63}"],
)
def test_bad_paging_is_a_json_400(client, query):
    answer = client.simulate_get("/api/movies", query_string=query)
    assert answer.status_code == 400
    assert answer.json["title"]
    assert answer.json["description"]
