"""API_TOKENS through TestClient: writes need a bearer token when tokens are set, reads never
do, and with no tokens the gateway answers exactly as it does without the feature."""

from __future__ import annotations

import hmac
import logging

import pytest
from falcon import testing

from services.common.config import ConfigError
from services.gateway.app import GatewayDeps, create_app
from services.gateway.auth import ApiTokens, bearer_credentials
from services.gateway.config import GatewayConfig
from tests.unit.services.standins import (
    InProcessInventory,
    MemoryMovieStore,
    RecordingPublisher,
    assert_error,
)

TOKENS = ("first-token-0123456789", "second-token-abcdefghij")
ORDER = {"user_id": 20, "number_of_items": 2, "total_amount": 19.9}
WRITES = [
    ("POST", "/api/movies", {"title": "Heat"}),
    ("DELETE", "/api/movies", None),
    ("PUT", "/api/movies/1", {"title": "Heat (1995)"}),
    ("DELETE", "/api/movies/1", None),
    ("POST", "/api/billing", ORDER),
]
READS = ["/api/movies", "/api/movies/1", "/healthz", "/readyz", "/api/openapi.json", "/api/docs"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def store() -> MemoryMovieStore:
    store = MemoryMovieStore()
    store.create("Heat", "LA")
    return store


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


def gateway(store, publisher, tokens: str | None) -> testing.TestClient:
    deps = GatewayDeps(
        inventory=InProcessInventory(store),  # type: ignore[arg-type]
        publisher=publisher,  # type: ignore[arg-type]
        api_tokens=None if tokens is None else ApiTokens.parse(tokens),
    )
    return testing.TestClient(create_app(deps))


@pytest.fixture
def guarded(store, publisher) -> testing.TestClient:
    return gateway(store, publisher, ",".join(TOKENS))


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_write_without_a_token_is_401_and_changes_nothing(
    guarded, store, publisher, method, path, body
):
    before = dict(store.movies)
    answer = guarded.simulate_request(method, path, json=body)
    error = assert_error(answer, 401)
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in error["description"]
    assert store.movies == before
    assert publisher.published == []


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize("token", TOKENS)
def test_a_write_with_any_configured_token_is_served(guarded, method, path, body, token):
    answer = guarded.simulate_request(method, path, json=body, headers=bearer(token))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token-0123456789",
        f"Basic {TOKENS[0]}",
        TOKENS[0],
        "Bearer",
        "Bearer ",
        f"Bearer {TOKENS[0]} extra",
        f"Bearer {TOKENS[0]}, Bearer {TOKENS[1]}",  # two headers, as a server joins them
        f"Bearer {TOKENS[0][:-1]}",
        f"Bearer {TOKENS[0]}x",
        f"Bearer {TOKENS[0]}\u00e9",
        "Bearer \u30c8\u30fc\u30af\u30f3",
    ],
)
def test_a_wrong_or_malformed_authorization_is_401(guarded, store, authorization):
    answer = guarded.simulate_delete("/api/movies", headers={"Authorization": authorization})
    assert_error(answer, 401)
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert store.movies


def test_the_scheme_is_case_insensitive(guarded):
    mixed_case = {"Authorization": f"bEaReR {TOKENS[1]}"}
    answer = guarded.simulate_delete("/api/movies", headers=mixed_case)
    assert answer.status_code == 200


@pytest.mark.parametrize("path", READS)
def test_reads_need_no_token(guarded, path):
    assert guarded.simulate_get(path).status_code == 200


def test_unknown_paths_and_methods_keep_their_status(guarded):
    assert_error(guarded.simulate_post("/api/nothing-here"), 404)
    assert_error(guarded.simulate_request("PATCH", "/api/movies"), 405)
    assert_error(guarded.simulate_post("/healthz"), 405)


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_without_tokens_writes_are_open(store, publisher, method, path, body):
    open_gateway = gateway(store, publisher, None)
    assert open_gateway.simulate_request(method, path, json=body).status_code == 200


def test_a_blank_setting_is_no_tokens():
    assert ApiTokens.parse("") is None
    assert ApiTokens.parse(" , ,") is None


def test_tokens_are_split_on_commas_and_trimmed():
    tokens = ApiTokens.parse(f" {TOKENS[0]} ,{TOKENS[1]},")
    assert tokens is not None
    assert tokens.tokens == tuple(t.encode() for t in TOKENS)


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ("short-token", "token 1 is shorter than 16"),
        (f"{TOKENS[0]},with space inside-0123", "token 2 has characters"),
        (f"t\u00f6ken-{TOKENS[0]}", "token 1 has characters"),
        (f'{TOKENS[0]}"quoted', "token 1 has characters"),
    ],
)
def test_a_bad_token_stops_the_start_without_showing_it(setting, why):
    with pytest.raises(ConfigError, match=why) as raised:
        ApiTokens.parse(setting)
    assert TOKENS[0] not in str(raised.value)
    assert "with space" not in str(raised.value)


def test_the_config_reads_api_tokens_and_never_shows_them():
    env = {"RABBITMQ_USER": "u", "RABBITMQ_PASSWORD": "p", "API_TOKENS": ",".join(TOKENS)}
    config = GatewayConfig.from_env(env)
    assert config.api_tokens is not None
    assert config.api_tokens.accepts(f"Bearer {TOKENS[1]}")
    assert all(token not in repr(config) for token in TOKENS)
    assert GatewayConfig.from_env({**env, "API_TOKENS": ""}).api_tokens is None


@pytest.mark.parametrize(
    ("header", "credentials"),
    [(None, None), ("", None), ("Bearer abc", "abc"), ("BEARER  abc ", "abc"), ("Token abc", None)],
)
def test_bearer_credentials(header, credentials):
    assert bearer_credentials(header) == credentials


def test_every_token_is_compared_even_after_a_match(monkeypatch):
    compared: list[bytes] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append(b)
        return real(a, b)

    monkeypatch.setattr("services.gateway.auth.hmac.compare_digest", recording)
    tokens = ApiTokens.parse(",".join(TOKENS))
    assert tokens is not None
    assert tokens.accepts(f"Bearer {TOKENS[0]}")
    assert compared == [t.encode() for t in TOKENS]


def test_no_log_line_carries_a_token(guarded, caplog):
    caplog.set_level(logging.DEBUG)
    tried = [TOKENS[0], "wrong-token-0123456789", f"{TOKENS[1]}x"]
    for token in tried:
        guarded.simulate_delete("/api/movies", headers=bearer(token))
        guarded.simulate_post("/api/billing", json=ORDER, headers=bearer(token))
    text = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "rejected" in text
    assert all(token not in text for token in tried)
