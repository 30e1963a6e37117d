"""Every answer of every app says nosniff: successes, errors, 404s and probes alike."""

from __future__ import annotations

import pytest

from tests.unit.services.standins import MemoryMovieStore, inventory_app


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/api/movies", 200),
        ("GET", "/api/movies/9", 404),
        ("GET", "/metrics", 404),
        ("GET", "/nothing", 404),
        ("PATCH", "/api/movies", 405),
        ("POST", "/api/movies", 415),
    ],
)
def test_nosniff_on_every_answer(method, path, status):
    answer = inventory_app(MemoryMovieStore()).simulate_request(method, path, body="x")
    assert answer.status_code == status
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
