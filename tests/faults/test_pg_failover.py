"""The failover scenarios' judge: a loss fails the synchronous run and is only reported by
the asynchronous one; a duplicate fails both. And the relay that stands for the `-rw`
Service really moves."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from faults.pg_failover import judge_movies, judge_orders
from faults.pg_pair import ServiceRelay
from faults.result import Result


def orders(*, acknowledged: set[int], stored: list[int], lossless: bool) -> Result:
    result = Result("probe", "claim")
    judge_orders(
        result, sent=5, acknowledged=acknowledged, stored_user_ids=stored, lossless=lossless
    )
    return result


def movies(*, created: set[int], stored: list[int], lossless: bool) -> Result:
    result = Result("probe", "claim")
    judge_movies(result, created=created, stored_keys=stored, lossless=lossless)
    return result


def test_synchronous_run_fails_on_a_lost_order_or_movie():
    assert not orders(acknowledged={1, 2, 3}, stored=[1, 3], lossless=True).passed
    assert not movies(created={1, 3, 5}, stored=[1, 5], lossless=True).passed
    assert orders(acknowledged={1, 2, 3}, stored=[1, 2, 3], lossless=True).passed
    assert movies(created={1, 3}, stored=[1, 3], lossless=True).passed


def test_asynchronous_run_reports_a_loss_without_failing():
    result = orders(acknowledged={1, 2, 3}, stored=[1, 3], lossless=False)
    assert result.passed
    assert result.figures.lost == 1
    assert any("lost 1 of 3 orders" in note for note in result.notes)
    kept = movies(created={1, 3, 5}, stored=[1, 5], lossless=False)
    assert kept.passed
    assert any("1 lost" in note for note in kept.notes)


@pytest.mark.parametrize("lossless", [True, False])
def test_a_duplicate_fails_either_run(lossless):
    assert not orders(acknowledged={1, 2}, stored=[1, 2, 2], lossless=lossless).passed
    assert not movies(created={1, 3}, stored=[1, 3, 3], lossless=lossless).passed


class _Named(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(self.server.name)  # type: ignore[attr-defined]
        self.request.recv(1)  # held open until the peer goes


@pytest.fixture
def two_servers() -> Iterator[list[socketserver.ThreadingTCPServer]]:
    servers = []
    for name in (b"A", b"B"):
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Named)
        server.daemon_threads = True
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_relay_moves_to_the_new_server_and_drops_the_old_connections(two_servers):
    first, second = (server.server_address for server in two_servers)
    relay = ServiceRelay(first).start()
    try:
        old = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
        assert old.recv(1) == b"A"
        relay.switch(second)
        assert old.recv(1) == b""  # dropped, as the dead primary's connections are
        new = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
        assert new.recv(1) == b"B"
        new.close()
        old.close()
    finally:
        relay.cut()
