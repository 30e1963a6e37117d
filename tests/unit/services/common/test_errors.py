"""Every failure, expected or not, leaves as JSON with the right status and no traceback."""

from __future__ import annotations

import falcon
import pytest
from falcon import testing

from services.common.errors import DependencyTimeout, DependencyUnavailable, install_error_handling
from tests.unit.services.standins import assert_error


class Raises:
    def __init__(self, error: Exception) -> None:
        self._error = error

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise self._error


def client_raising(error: Exception) -> testing.TestClient:
    app = falcon.App()
    install_error_handling(app)
    app.add_route("/boom", Raises(error))
    return testing.TestClient(app)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DependencyUnavailable("the database is unavailable"), 503),
        (DependencyUnavailable(), 503),
        (DependencyTimeout("inventory did not answer in time"), 504),
        (DependencyTimeout(), 504),
        (RuntimeError("secret internals"), 500),
        (KeyError("x"), 500),
        (falcon.HTTPBadRequest(title="Invalid order", description="user_id is required"), 400),
    ],
)
def test_each_error_maps_to_its_status(error, status):
    assert_error(client_raising(error).simulate_get("/boom"), status)


def test_a_dependency_failure_says_which_one():
    result = client_raising(DependencyUnavailable("the database is unavailable")).simulate_get(
        "/boom"
    )
    assert assert_error(result, 503)["description"] == "the database is unavailable"


def test_an_unexpected_error_tells_the_client_nothing_of_it():
    result = client_raising(RuntimeError("password=hunter2")).simulate_get("/boom")
    assert_error(result, 500)
    assert "hunter2" not in result.text
    assert "RuntimeError" not in result.text


def test_a_client_that_prefers_xml_still_gets_json():
    result = client_raising(DependencyTimeout("late")).simulate_get(
        "/boom", headers={"Accept": "application/xml"}
    )
    assert_error(result, 504)
