"""The gateway's HTTP/1.1 client on a socket pair: framing, keep-alive and broken answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from services.gateway.http1 import BrokenAnswer, Connection


@pytest.fixture
def pair() -> Iterator[tuple[Connection, socket.socket]]:
    mine, theirs = socket.socketpair()
    mine.settimeout(2)
    theirs.settimeout(2)
    yield Connection(mine, "inventory:8080"), theirs
    mine.close()
    theirs.close()


def answer(conn: Connection, raw: bytes, peer: socket.socket, method: str = "GET"):
    peer.sendall(raw)
    head = conn.read_head(method)
    return head, conn.read_body(head)


def test_the_request_is_one_write_with_host_and_length(pair):
    conn, peer = pair
    conn.send("PUT", "/api/movies/1?x=1", {"Content-Type": "application/json"}, b'{"a":1}')
    assert peer.recv(4096) == (
        b"PUT /api/movies/1?x=1 HTTP/1.1\r\nHost: inventory:8080\r\n"
        b"Content-Type: application/json\r\nContent-Length: 7\r\n\r\n" + b'{"a":1}'
    )


def test_answers_follow_each_other_on_one_connection(pair):
    conn, peer = pair
    two = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\nX-Twice: a\r\nX-Twice: b\r\n\r\nnah"
    )
    head, body = answer(conn, two, peer)
    assert (head.status, head.headers["content-type"], body) == (200, "application/json", b"{}")
    assert not head.will_close
    head = conn.read_head("GET")
    assert (head.status, conn.read_body(head), head.headers["x-twice"]) == (404, b"nah", "b")


def test_a_chunked_answer_split_anywhere_is_reassembled(pair):
    conn, peer = pair
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        b"HTTP/1.1 204 No Content\r\n\r\n"
    )

    def trickle() -> None:
        for i in range(len(raw)):
            peer.send(raw[i : i + 1])

    sender = threading.Thread(target=trickle)
    sender.start()
    head = conn.read_head("GET")
    assert (head.chunked, head.length) == (True, None)
    pieces = list(conn.body_chunks(head))  # yielded as they arrive, at least one per chunk
    sender.join()
    assert b"".join(pieces) == b"hello world"
    assert len(pieces) >= 2
    after = conn.read_head("GET")
    assert (after.status, conn.read_body(after)) == (204, b"")


def test_chunked_body_joined(pair):
    conn, peer = pair
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    assert answer(conn, raw, peer)[1] == b"abcde"


def test_interim_answers_are_skipped_and_no_body_statuses_have_none(pair):
    conn, peer = pair
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"
    head, body = answer(conn, raw, peer)
    assert (head.status, body, head.will_close) == (304, b"", False)
    head, body = answer(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", peer, "HEAD")
    assert (head.status, body) == (200, b"")


def test_a_body_without_framing_runs_until_the_socket_closes(pair):
    conn, peer = pair
    peer.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
    peer.shutdown(socket.SHUT_WR)
    head = conn.read_head("GET")
    assert (head.will_close, head.length) == (True, None)
    assert conn.read_body(head) == b"all of it"


@pytest.mark.parametrize(
    "raw",
    [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n Folded: header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
    ],
)
def test_what_is_not_http_is_a_broken_answer(pair, raw):
    conn, peer = pair
    peer.sendall(raw)
    with pytest.raises(BrokenAnswer):
        conn.read_body(conn.read_head("GET"))


@pytest.mark.parametrize(
    "raw",
    [b"HTTP/1.1 200 OK\r\nContent-Len", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"],
)
def test_an_answer_cut_short_is_a_broken_answer(pair, raw):
    conn, peer = pair
    peer.sendall(raw)
    peer.shutdown(socket.SHUT_WR)
    with pytest.raises(BrokenAnswer, match="closed mid-answer"):
        conn.read_body(conn.read_head("GET"))


def test_an_endless_head_is_refused(pair):
    conn, peer = pair
    threading.Thread(target=lambda: peer.sendall(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000)).start()
    with pytest.raises(BrokenAnswer, match="within"):
        conn.read_head("GET")
