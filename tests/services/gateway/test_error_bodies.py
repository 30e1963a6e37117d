"""Every error has both fields of the documented shape, including the ones Falcon raises on
its own (no route, no responder), through the gateway and from inventory behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DOC = json.loads((Path(__file__).parents[3] / "services/gateway/openapi.json").read_text())

CASES = [
    ("GET", "/api/movies/abc", 404, "movie ids are whole numbers"),
    ("GET", "/api/nothing-here", 404, "/api/openapi.json"),
    ("GET", "/api/billing", 405, "accepts POST"),
    ("PATCH", "/api/movies", 405, "accepts DELETE, GET, POST"),
    ("POST", "/api/billing", 415, ""),
]


@pytest.mark.parametrize(("method", "path", "status", "hint"), CASES)
def test_error_bodies_have_title_and_description(make_gateway, stack, method, path, status, hint):
    gateway = make_gateway(inventory_url=stack.inventory.url)
    answer = gateway.simulate_request(method, path, body="x", content_type="text/plain")
    assert answer.status_code == status
    body = answer.json
    assert set(body) == set(DOC["components"]["schemas"]["Error"]["required"])
    assert body["title"].strip()
    assert body["description"].strip()
    assert hint in body["description"]


def test_the_document_requires_both_fields():
    assert DOC["components"]["schemas"]["Error"]["required"] == ["title", "description"]
