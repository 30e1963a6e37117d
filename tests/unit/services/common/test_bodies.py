"""JSON bodies: 415 unless JSON, 413 over the limit, 400 when it does not parse."""

from __future__ import annotations

from decimal import Decimal

import falcon
import pytest
from falcon import testing

from services.common.bodies import read_json, require_object
from services.common.errors import install_error_handling
from tests.unit.services.standins import assert_error

LIMIT = 64


class Echo:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        exact = req.get_param_as_bool("exact") or False
        body = require_object(read_json(req, max_bytes=LIMIT, exact_decimals=exact))
        resp.media = {key: repr(value) for key, value in body.items()}


@pytest.fixture
def client() -> testing.TestClient:
    app = falcon.App()
    install_error_handling(app)
    app.add_route("/echo", Echo())
    return testing.TestClient(app)


def post(client, body, content_type="application/json", **kwargs):
    return client.simulate_post("/echo", body=body, content_type=content_type, **kwargs)


def test_a_json_object_is_read(client):
    assert post(client, '{"a": 1.5}').json == {"a": "1.5"}
    assert post(client, '{"a": 1.5}', "application/json; charset=utf-8").status_code == 200


def test_decimals_are_exact_when_asked(client):
    result = post(client, '{"a": 0.1}', params={"exact": "true"})
    assert result.json == {"a": repr(Decimal("0.1"))}


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_anything_but_json_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    result = client.simulate_post("/echo", body='{"a": 1}', headers=headers)
    assert_error(result, 415)


@pytest.mark.parametrize(
    "body", ["", "   ", "{", '{"a": }', "[1, 2", b"\xff\xfe{}", "[" * 40 + "]" * 20]
)
def test_a_body_that_is_not_json_is_400(client, body):
    assert_error(post(client, body), 400)


@pytest.mark.parametrize("body", ["[]", "3", '"text"', "null"])
def test_json_that_is_not_an_object_is_400(client, body):
    assert "JSON object" in assert_error(post(client, body), 400)["description"]


def test_the_limit_is_inclusive(client):
    at_limit = '{"a": "' + "x" * (LIMIT - 9) + '"}'
    assert len(at_limit) == LIMIT
    assert post(client, at_limit).status_code == 200
    assert_error(post(client, at_limit + " "), 413)
