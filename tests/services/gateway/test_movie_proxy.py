"""The movie proxy when inventory refuses, hangs, or answers nonsense (real sockets)."""

from __future__ import annotations

import http.client
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from faults.misbehaving import GarbageServer, HungListener, StallingStream, Trickler


@pytest.fixture
def hung():
    listener = HungListener()
    yield listener
    listener.close()


@pytest.fixture
def garbage():
    server = GarbageServer()
    yield server
    server.close()


def test_refused_inventory_is_503(make_gateway):
    answer = make_gateway().simulate_get("/api/movies")
    assert answer.status_code == 503
    assert answer.json["description"] == "inventory is unavailable"


def test_hung_inventory_is_504_within_the_timeout(make_gateway, hung):
    client = make_gateway(inventory_url=hung.url, read_timeout=0.5)
    started = time.monotonic()
    answer = client.simulate_get("/api/movies/1")
    assert answer.status_code == 504
    assert time.monotonic() - started < 2.0


def test_hung_inventory_does_not_exhaust_the_pool(make_gateway, hung):
    client = make_gateway(inventory_url=hung.url, read_timeout=0.3)
    with ThreadPoolExecutor(16) as pool:
        statuses = list(
            pool.map(lambda _: client.simulate_get("/api/movies").status_code, range(32))
        )
    assert set(statuses) <= {503, 504}
    assert statuses.count(504) >= 4


def test_garbage_from_inventory_is_502(make_gateway, garbage):
    answer = make_gateway(inventory_url=garbage.url).simulate_get("/api/movies")
    assert answer.status_code == 502
    assert answer.json["title"] == "Bad Gateway"


def test_gateway_enforces_its_own_body_limit_before_forwarding(make_gateway, hung):
    client = make_gateway(inventory_url=hung.url, max_body_bytes=100)
    answer = client.simulate_post(
        "/api/movies", body='{"title": "' + "x" * 200 + '"}', content_type="application/json"
    )
    assert answer.status_code == 413


def test_unsupported_methods_are_405_at_the_gateway(make_gateway):
    client = make_gateway()
    assert client.simulate_patch("/api/movies/1").status_code == 405
    assert client.simulate_put("/api/movies").status_code == 405
    assert client.simulate_post("/api/movies/1").status_code == 405


def test_trickling_inventory_is_504_within_the_whole_answer_budget(make_gateway):
    # Each byte arrives well inside the read timeout; the whole answer never does. Found by
    # the faults suite: a per-read timeout held a gateway thread for 18 s here.
    trickler = Trickler(gap=0.2)
    try:
        client = make_gateway(inventory_url=trickler.url, read_timeout=0.6)
        started = time.monotonic()
        answer = client.simulate_get("/api/movies")
        assert answer.status_code == 504
        assert time.monotonic() - started < 1.5
    finally:
        trickler.close()


def test_a_relayed_answer_that_stalls_is_cut_within_the_stream_budget(make_gateway):
    # A chunked answer is relayed as it arrives: once the status is sent, the only honest
    # end for an upstream that stops is to cut the client off, within the stream deadline.
    upstream = StallingStream()
    try:
        client = make_gateway(inventory_url=upstream.url, read_timeout=2.0, stream_timeout=0.6)
        started = time.monotonic()
        with pytest.raises((http.client.HTTPException, OSError)):
            client.simulate_get("/api/movies")
        assert 0.5 < time.monotonic() - started < 1.5
    finally:
        upstream.close()
