"""What services.gateway.answer_deadline relies on in urllib3, against real sockets: the
connection's socket is where it takes it from, and cutting it (or the response, once the head
is in) ends a read that urllib3's own timeouts would let run."""

from __future__ import annotations

import socket
import time

import pytest
from urllib3 import HTTPConnectionPool
from urllib3.exceptions import ProtocolError
from urllib3.util import Timeout

from faults.misbehaving import StallingStream, Trickler
from services.gateway.answer_deadline import DeadlineConnection, Watchdog


class Pool(HTTPConnectionPool):
    ConnectionCls = DeadlineConnection


@pytest.fixture
def watchdog():
    made = Watchdog()
    yield made
    made.close()


def test_the_connection_keeps_its_connected_socket_in_sock(watchdog):
    trickler = Trickler()
    try:
        conn = DeadlineConnection("127.0.0.1", trickler.port, watchdog=watchdog)
        conn.connect()
        assert isinstance(conn.sock, socket.socket)
        assert conn.sock.getpeername() == ("127.0.0.1", trickler.port)
        conn.close()
    finally:
        trickler.close()


def test_a_trickled_head_is_cut_at_the_deadline(watchdog):
    trickler = Trickler(gap=0.1)  # every byte well inside the read timeout
    pool = Pool("127.0.0.1", trickler.port, timeout=Timeout(read=2.0), watchdog=watchdog)
    try:
        started = time.monotonic()
        with watchdog.deadline(0.4) as deadline, pytest.raises(ProtocolError):
            pool.urlopen("GET", "/", retries=False, preload_content=False)
        assert deadline.late
        assert time.monotonic() - started < 1.0
    finally:
        pool.close()
        trickler.close()


def test_a_stalled_body_is_cut_through_the_response(watchdog):
    upstream = StallingStream()
    pool = Pool("127.0.0.1", upstream.port, timeout=Timeout(read=5.0), watchdog=watchdog)
    try:
        response = pool.urlopen("GET", "/", retries=False, preload_content=False)
        started = time.monotonic()
        with watchdog.deadline(0.4) as deadline:
            watchdog.attach(response.shutdown)
            with pytest.raises(ProtocolError):
                b"".join(response.stream(1024))
        assert deadline.late
        assert time.monotonic() - started < 1.5
    finally:
        pool.close()
        upstream.close()


def test_a_deadline_that_was_met_cuts_nothing(watchdog):
    cuts: list[str] = []
    with watchdog.deadline(0.1):
        watchdog.attach(lambda: cuts.append("cut"))
    time.sleep(0.3)
    assert cuts == []
