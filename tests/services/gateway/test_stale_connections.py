"""A kept-alive connection that inventory closes just as the gateway reuses it: a GET goes again
on a fresh connection, a write is never sent twice."""

from __future__ import annotations

import contextlib
import socket

import pytest

from faults.misbehaving import Listener

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class OneAnswerPerConnection(Listener):
    """Answers the first request on each connection and keeps it open; the second request
    is read and the connection closed without a word, like a server whose keep-alive
    timeout fired as the request arrived."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        super().__init__()

    def handle(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.requests.append(client.recv(65536))
            client.sendall(ANSWER)
            self.requests.append(client.recv(65536))
            client.close()


@pytest.fixture
def upstream():
    server = OneAnswerPerConnection()
    yield server
    server.close()


def test_a_get_on_a_connection_closed_under_it_is_sent_again(make_gateway, upstream):
    client = make_gateway(inventory_url=upstream.url)
    assert client.simulate_get("/api/movies/1").status_code == 200
    assert client.simulate_get("/api/movies/2").status_code == 200
    targets = [r.split(b" ", 2)[1] for r in upstream.requests]
    # The second GET twice: on the connection that closed, then on a fresh one.
    assert targets == [b"/api/movies/1", b"/api/movies/2", b"/api/movies/2"]


def test_a_write_on_a_connection_closed_under_it_is_a_502_and_not_sent_again(
    make_gateway, upstream
):
    client = make_gateway(inventory_url=upstream.url)
    assert client.simulate_get("/api/movies/1").status_code == 200
    answer = client.simulate_delete("/api/movies/2")
    assert answer.status_code == 502
    methods = [r.split(b" ", 1)[0] for r in upstream.requests]
    assert methods == [b"GET", b"DELETE"]
