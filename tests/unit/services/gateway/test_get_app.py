"""get_app(): the gateway built from the process environment alone, as another WSGI server's
command line builds it (docs/operations.md); it connects to nothing until asked to."""

from __future__ import annotations

from falcon import testing

from services.gateway.app import get_app


def test_get_app_builds_the_gateway_from_the_environment(monkeypatch):
    monkeypatch.setenv("RABBITMQ_USER", "u")
    monkeypatch.setenv("RABBITMQ_PASSWORD", "p")
    client = testing.TestClient(get_app())
    assert client.simulate_get("/healthz").status_code == 200
    assert client.simulate_get("/api/openapi.json").json["openapi"].startswith("3.1")
    assert client.simulate_patch("/api/movies/1").status_code == 405
