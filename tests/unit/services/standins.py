"""In-memory stand-ins for what the apps are built on: the movie store, the inventory client
and the order publisher, each with exactly the methods the resources and probes call.

Each one can be told to fail: ``failure`` is raised from every call while it is set, the way
the real dependency raises when its server is away.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any

from falcon import testing
from prometheus_client import make_wsgi_app

from services.gateway.upstream import UpstreamResponse
from services.inventory.app import InventoryDeps
from services.inventory.app import create_app as create_inventory
from services.inventory.storage import JsonPage, Movie


class Failing:
    failure: BaseException | None = None

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure


class MemoryMovieStore(Failing):
    """MovieStore's methods over a dict, ids counting up from 1 like BIGSERIAL."""

    def __init__(self) -> None:
        self.movies: dict[int, Movie] = {}
        self._next_id = 1

    def page_json(self, *, after: int, limit: int, title_contains: str | None = None) -> JsonPage:
        self._check()
        needle = (title_contains or "").lower()
        matching = [
            movie
            for _, movie in sorted(self.movies.items())
            if movie.id > after and needle in movie.title.lower()
        ]
        page = matching[:limit]
        objects = ",".join(json.dumps(movie.to_dict()) for movie in page)
        return JsonPage(objects, len(page), page[-1].id if page else None, len(matching) > limit)

    def get_json(self, movie_id: int) -> str | None:
        self._check()
        movie = self.movies.get(movie_id)
        return None if movie is None else json.dumps(movie.to_dict())

    def create(self, title: str, description: str) -> Movie:
        self._check()
        movie = Movie(self._next_id, title, description)
        self.movies[movie.id] = movie
        self._next_id += 1
        return movie

    def update(self, movie_id: int, title: str | None, description: str | None) -> Movie | None:
        self._check()
        old = self.movies.get(movie_id)
        if old is None:
            return None
        new = Movie(
            movie_id,
            old.title if title is None else title,
            old.description if description is None else description,
        )
        self.movies[movie_id] = new
        return new

    def delete(self, movie_id: int) -> bool:
        self._check()
        return self.movies.pop(movie_id, None) is not None

    def delete_all(self) -> int:
        self._check()
        count = len(self.movies)
        self.movies.clear()
        return count

    def ping(self) -> None:
        self._check()


def inventory_app(store: MemoryMovieStore, *, max_body_bytes: int = 1024) -> testing.TestClient:
    deps: Any = InventoryDeps(store=store, max_body_bytes=max_body_bytes)  # type: ignore[arg-type]
    return testing.TestClient(create_inventory(deps))


class InProcessInventory(Failing):
    """InventoryClient's methods, answered by the real inventory app over a memory store."""

    def __init__(self, store: MemoryMovieStore) -> None:
        self.app = inventory_app(store, max_body_bytes=1 << 20)
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def request(
        self, method: str, path: str, *, headers: dict[str, str], body: bytes | None = None
    ) -> UpstreamResponse:
        self._check()
        self.requests.append((method, path, dict(headers)))
        route, _, query = path.partition("?")
        result = self.app.simulate_request(
            method, route, query_string=query or None, headers=headers, body=body
        )
        message = http.client.HTTPMessage()
        for name, value in result.headers.items():
            message[name] = value
        return UpstreamResponse(result.status_code, message, result.content)

    def ping(self) -> None:
        self._check()

    def close(self) -> None:
        pass


@dataclass
class RecordingPublisher(Failing):
    """OrderPublisher's methods; ``published`` holds what a confirmed publish would queue."""

    published: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)

    def publish(self, body: bytes, *, message_id: str, request_id: str) -> None:
        self._check()
        self.published.append((json.loads(body), message_id, request_id))

    def ping(self) -> None:
        self._check()

    def close(self) -> None:
        pass


def assert_error(result: testing.Result, status: int) -> dict[str, Any]:
    """The contract's error shape: JSON with a string title and description, never a trace."""
    assert result.status_code == status, result.text
    assert result.headers["content-type"].startswith("application/json")
    body = result.json
    assert isinstance(body.get("title"), str), body
    assert isinstance(body.get("description"), str), body
    assert "Traceback" not in result.text
    return body


def scrape(client: testing.TestClient) -> testing.Result:
    """/metrics as the app's metrics listener serves it (prometheus_client's WSGI app over the
    app's registry); the public port itself answers 404 there."""
    assert client.simulate_get("/metrics").status_code == 404
    return testing.TestClient(make_wsgi_app(client.app.registry)).simulate_get("/metrics")
